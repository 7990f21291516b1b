import assert from "node:assert/strict";
import { ProtocolError } from "../../../lib/kafka/protocol/errors.ts";
import { type ByteSource, FrameReader } from "../../../lib/kafka/protocol/frame.ts";

/** Serves `data` in chunks of at most `chunk` bytes, like a socket would. */
function source(data: Uint8Array, chunk: number): ByteSource {
  let pos = 0;
  return {
    read(p: Uint8Array) {
      if (pos >= data.length) return Promise.resolve(null);
      const n = Math.min(chunk, p.length, data.length - pos);
      p.set(data.subarray(pos, pos + n));
      pos += n;
      return Promise.resolve(n);
    },
  };
}

async function rejectsWith(fn: () => Promise<unknown>, text: string): Promise<void> {
  await assert.rejects(fn, (e: unknown) => e instanceof ProtocolError && e.message.includes(text));
}

function frame(payload: number[]): number[] {
  const n = payload.length;
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...payload];
}

Deno.test("FrameReader splits pipelined frames regardless of chunking", async () => {
  const payloads = [[1, 2, 3], [], [9], Array.from({ length: 300 }, (_, i) => i & 0xff)];
  const bytes = new Uint8Array(payloads.flatMap(frame));
  for (const chunk of [1, 3, 7, 64, 10_000]) {
    // A 16-byte buffer forces both the in-buffer and the direct-read paths.
    const reader = new FrameReader(source(bytes, chunk), 1024, 16);
    for (const p of payloads) assert.deepEqual([...(await reader.next())!], p, `chunk ${chunk}`);
    assert.equal(await reader.next(), null);
  }
});

Deno.test("FrameReader rejects a frame over the size limit before reading it", async () => {
  const reader = new FrameReader(source(new Uint8Array([0, 0, 4, 1]), 100), 1024);
  await assert.rejects(() => reader.next(), {
    name: "ProtocolError",
    message: "frame of 1025 bytes exceeds the 1024-byte limit",
  });
});

Deno.test("FrameReader rejects the 100 MiB default limit + 1", async () => {
  const n = 100 * 1024 * 1024 + 1;
  const bytes = new Uint8Array([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  await rejectsWith(() => new FrameReader(source(bytes, 4)).next(), "exceeds");
});

Deno.test("FrameReader rejects a negative size", async () => {
  const reader = new FrameReader(source(new Uint8Array([0xff, 0xff, 0xff, 0xfe]), 4));
  await rejectsWith(() => reader.next(), "negative frame size -2");
});

Deno.test("FrameReader reports a stream that ends inside a frame", async () => {
  const truncated = new Uint8Array([0, 0, 0, 10, 1, 2, 3]);
  await rejectsWith(
    () => new FrameReader(source(truncated, 2), 1024, 16).next(),
    "got 3 of 10 bytes",
  );
  await rejectsWith(
    () => new FrameReader(source(new Uint8Array([0, 0]), 2)).next(),
    "inside a frame size prefix",
  );
});

Deno.test("FrameReader assembles a frame larger than the eager allocation size", async () => {
  const size = 20 * 1024 * 1024 + 3;
  const bytes = new Uint8Array(4 + size);
  new DataView(bytes.buffer).setInt32(0, size);
  for (let i = 4; i < bytes.length; i += 4093) bytes[i] = i & 0xff;
  bytes[bytes.length - 1] = 0x5a;
  const reader = new FrameReader(source(bytes, 1 << 20), 32 * 1024 * 1024);
  const frame = (await reader.next())!;
  assert.equal(frame.length, size);
  assert.deepEqual(frame, bytes.subarray(4));
  assert.equal(await reader.next(), null);
});
