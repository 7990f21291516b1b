import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { batch, openManager, rows } from "./_util.ts";
import { compact } from "../../../lib/broker/log/compaction.ts";
import type { BatchStream } from "../../../lib/broker/log/batch_stream.ts";
import { Logger } from "../../../lib/util/log.ts";

/** Reads a whole stream through a buffer of `chunk` bytes, as the connection does. */
function drain(s: BatchStream, chunk: number): { bytes: Uint8Array; pieces: number[] } {
  const out = new Uint8Array(s.size);
  const buf = new Uint8Array(chunk);
  const pieces: number[] = [];
  let at = 0;
  let fill = 0;
  const flush = () => {
    out.set(buf.subarray(0, fill), at);
    at += fill;
    fill = 0;
  };
  while (!s.done) {
    const { n } = s.readInto(buf.subarray(fill), fill === 0);
    if (n === 0) {
      flush();
      continue;
    }
    pieces.push(n);
    fill += n;
    if (fill === chunk) flush();
  }
  flush();
  strictEqual(at, s.size);
  return { bytes: out, pieces };
}

Deno.test("batch stream: whole batches per piece, a batch larger than the buffer in parts", async () => {
  const { logs, dataDir } = await openManager();
  try {
    logs.createTopic("s", 1);
    const p = logs.partition("s", 0)!;
    p.append(batch([["a", "1"]]));
    p.append(batch([["b", "x".repeat(5000)]]));
    p.append(batch([["c", "3"]]));
    const plan = p.locate(0, 1 << 20, 0);
    const whole = p.read(0, 1 << 20, 0).records;
    const { bytes, pieces } = drain(plan.stream(), 1024);
    deepStrictEqual(bytes, whole);
    // The small first batch, then the 5 KiB one in 1 KiB parts, then the last one.
    strictEqual(pieces.length > 5, true, `${pieces}`);
    strictEqual(pieces.every((n) => n <= 1024), true);
  } finally {
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("batch stream: a planned read serves the bytes it planned after compaction and retention replaced the files", async () => {
  const { logs, dataDir } = await openManager();
  try {
    logs.createTopic("c", 1, { "cleanup.policy": "compact", "segment.bytes": "16384" });
    const p = logs.partition("c", 0)!;
    const value = "v".repeat(500);
    p.append(batch([["only", "survives"]]));
    for (let b = 0; b < 100; b++) p.append(batch([[`k${b % 3}`, `${b}${value}`]]));
    strictEqual(p.segments.length > 3, true);
    const before = p.read(0, 1 << 20, 0).records;
    const stream = p.locate(0, 1 << 20, 0).stream();
    const first = p.segments[0].base;
    compact(p, logs.logConfig("c")!, Date.now(), new Logger("t", "WARN"));
    // Compaction renamed a new file over the first segment's path (only "only" is left in
    // it); then retention removes it entirely.
    strictEqual(p.segments[0].base, first);
    deepStrictEqual(rows(p.read(0, 1 << 20, 0).records)[0], [0, "only", "survives"]);
    strictEqual(p.read(0, 1 << 20, 0).records.length < before.length, true);
    p.deleteRecords(-1);
    strictEqual(p.segments.length, 1);
    const { bytes } = drain(stream, 4096);
    deepStrictEqual(bytes, before);
    deepStrictEqual(rows(bytes).map((r) => r[0]), rows(before).map((r) => r[0]));
  } finally {
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});
