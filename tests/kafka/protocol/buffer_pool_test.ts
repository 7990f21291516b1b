import assert from "node:assert/strict";
import { BufferPool, POOL_MIN_BYTES } from "../../../lib/kafka/protocol/buffer_pool.ts";
import { type ByteSource, FrameReader } from "../../../lib/kafka/protocol/frame.ts";

const MiB = 1024 * 1024;

Deno.test("BufferPool: a released buffer serves the next request that fits", () => {
  const pool = new BufferPool();
  const a = pool.acquire(3 * MiB);
  assert.equal(a.length, 3 * MiB);
  assert.equal(a.buffer.byteLength, 4 * MiB, "rounded up to a power of two");
  a.fill(7);
  pool.release(a);
  assert.equal(pool.freeBytes, 4 * MiB);
  const b = pool.acquire(4 * MiB);
  assert.equal(b.buffer, a.buffer);
  assert.equal(b[0], 7, "not zeroed: the caller writes every byte");
  assert.equal(pool.freeBytes, 0);
  // Too small for the pooled one: a new buffer.
  pool.release(b);
  assert.notEqual(pool.acquire(5 * MiB).buffer, b.buffer);
});

Deno.test("BufferPool: the smallest free buffer that fits is used", () => {
  const pool = new BufferPool();
  const big = pool.acquire(16 * MiB);
  const small = pool.acquire(MiB);
  pool.release(big);
  pool.release(small);
  assert.equal(pool.acquire(MiB - 1).buffer, small.buffer);
  assert.equal(pool.acquire(MiB).buffer, big.buffer);
});

Deno.test("BufferPool: a double release or a foreign buffer cannot hand one buffer out twice", () => {
  const pool = new BufferPool();
  const a = pool.acquire(MiB);
  pool.release(a);
  pool.release(a);
  pool.release(new Uint8Array(MiB));
  assert.equal(pool.freeBytes, MiB);
  const x = pool.acquire(MiB);
  const y = pool.acquire(MiB);
  assert.notEqual(x.buffer, y.buffer);
});

Deno.test("BufferPool: small and oversized requests are plain allocations", () => {
  const pool = new BufferPool({ maxBufferBytes: 8 * MiB });
  for (const size of [0, 100, POOL_MIN_BYTES - 1, 8 * MiB + 1]) {
    const b = pool.acquire(size);
    assert.equal(b.length, size);
    pool.release(b);
  }
  assert.equal(pool.freeBytes, 0);
});

Deno.test("BufferPool: free bytes stay under the cap, and an idle pool empties", () => {
  const pool = new BufferPool({ maxFreeBytes: 6 * MiB });
  const held = [pool.acquire(4 * MiB), pool.acquire(4 * MiB)];
  for (const b of held) pool.release(b);
  assert.equal(pool.freeBytes, 4 * MiB, "the second would exceed the cap: dropped");
  pool.trimIdle(60_000);
  assert.equal(pool.freeBytes, 4 * MiB, "used just now: kept");
  pool.trimIdle(60_000, Date.now() + 61_000);
  assert.equal(pool.freeBytes, 0);
});

Deno.test("FrameReader takes large frames from its pool; a released frame's buffer is reused", async () => {
  const payload = (n: number, v: number) => {
    const f = new Uint8Array(4 + n).fill(v, 4);
    new DataView(f.buffer).setInt32(0, n);
    return f;
  };
  const data = [payload(2 * MiB, 1), payload(MiB, 2), payload(10, 3)];
  const bytes = new Uint8Array(data.reduce((n, f) => n + f.length, 0));
  data.reduce((at, f) => (bytes.set(f, at), at + f.length), 0);
  let pos = 0;
  const src: ByteSource = {
    read(p) {
      if (pos >= bytes.length) return Promise.resolve(null);
      const n = Math.min(p.length, 64 * 1024, bytes.length - pos);
      p.set(bytes.subarray(pos, pos + n));
      pos += n;
      return Promise.resolve(n);
    },
  };
  const pool = new BufferPool();
  const reader = new FrameReader(src, 100 * MiB, 64 * 1024, pool);
  const first = (await reader.next())!;
  assert.equal(first.length, 2 * MiB);
  assert.ok(first.every((b) => b === 1));
  const firstBuffer = first.buffer;
  pool.release(first);
  const second = (await reader.next())!;
  assert.equal(second.buffer, firstBuffer, "the released buffer is reused");
  assert.equal(second.length, MiB);
  assert.ok(second.every((b) => b === 2), "the frame holds its own bytes, not the old ones");
  const third = (await reader.next())!;
  assert.deepEqual([...third], Array(10).fill(3));
});
