import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { batch, openManager, rows } from "./_util.ts";
import { segmentName } from "../../../lib/broker/log/segment.ts";

function logFile(dataDir: string, topic: string, base = 0): string {
  return join(dataDir, `${topic}-0`, segmentName(base, "log"));
}

Deno.test("recovery: a segment truncated mid-batch is cut back to the last whole batch", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("r", 1);
  const p = logs.partition("r", 0)!;
  for (let i = 0; i < 5; i++) p.append(batch([[`k${i}`, `v${i}`], [`k${i}b`, `w${i}`]]));
  await logs.close();
  const path = logFile(dataDir, "r");
  const size = Deno.statSync(path).size;
  const perBatch = size / 5;
  Deno.truncateSync(path, size - Math.floor(perBatch / 2)); // tear the last batch

  const again = await openManager({ dataDir });
  const q = again.logs.partition("r", 0)!;
  strictEqual(q.highWatermark, 8);
  deepStrictEqual(rows(q.read(0, 1 << 20, 0).records).map((r) => r[2]), [
    "v0",
    "w0",
    "v1",
    "w1",
    "v2",
    "w2",
    "v3",
    "w3",
  ]);
  const line = again.lines.find((l) => l.includes("truncated r-0 segment"));
  strictEqual(line !== undefined, true, again.lines.join("\n"));
  strictEqual(line!.includes(`at byte ${perBatch * 4}`), true, line);
  strictEqual(Deno.statSync(path).size, perBatch * 4);
  // New appends continue right after the recovered tail.
  strictEqual(q.append(batch([["n", "new"]])).baseOffset, 8);
  await again.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("recovery: a corrupt CRC in the tail truncates from that batch on", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("c", 1);
  const p = logs.partition("c", 0)!;
  for (let i = 0; i < 4; i++) p.append(batch([[`k${i}`, `v${i}`]]));
  await logs.close();
  const path = logFile(dataDir, "c");
  const bytes = Deno.readFileSync(path);
  const per = bytes.length / 4;
  bytes[per * 2 + 70] ^= 0xff; // inside batch 3's records
  Deno.writeFileSync(path, bytes);
  const again = await openManager({ dataDir });
  const q = again.logs.partition("c", 0)!;
  strictEqual(q.highWatermark, 2);
  const line = again.lines.find((l) => l.includes("truncated c-0"))!;
  strictEqual(/at byte \d+: CRC-32C mismatch/.test(line), true, line);
  // Garbage appended after valid data is also dropped.
  await again.logs.close();
  const f = Deno.openSync(path, { append: true });
  f.writeSync(new Uint8Array([1, 2, 3, 4, 5]));
  f.close();
  const third = await openManager({ dataDir });
  strictEqual(third.logs.partition("c", 0)!.highWatermark, 2);
  strictEqual(third.lines.some((l) => l.includes("truncated c-0")), true);
  await third.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("segments: roll at segment.bytes, reopen, and rebuild a missing or corrupt index", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("s", 1, { "segment.bytes": "300" });
  const p = logs.partition("s", 0)!;
  for (let i = 0; i < 20; i++) p.append(batch([[`k${i}`, "x".repeat(40)]]));
  const nSegs = p.segments.length;
  strictEqual(nSegs > 3, true, `segments: ${nSegs}`);
  const bases = p.segments.map((s) => s.base);
  await logs.close();
  const dir = join(dataDir, "s-0");
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  strictEqual(files.filter((f) => f.endsWith(".log")).length, nSegs);
  strictEqual(files.filter((f) => f.endsWith(".index")).length, nSegs);
  Deno.removeSync(join(dir, segmentName(bases[1], "index")));
  Deno.writeTextFileSync(join(dir, segmentName(bases[2], "index")), "garbage");
  // Well-formed but wrong: the first entry's relative offset is off by one.
  const idx3 = Deno.readFileSync(join(dir, segmentName(bases[3], "index")));
  idx3[3] += 1;
  Deno.writeFileSync(join(dir, segmentName(bases[3], "index")), idx3);

  const again = await openManager({ dataDir });
  const q = again.logs.partition("s", 0)!;
  deepStrictEqual(q.segments.map((s) => s.base), bases);
  strictEqual(q.highWatermark, 20);
  deepStrictEqual(
    rows(q.read(0, 1 << 30, 0).records).length > 0 &&
      Array.from({ length: 20 }, (_, i) => rows(q.read(i, 1, 0).records)[0][1]),
    Array.from({ length: 20 }, (_, i) => `k${i}`),
  );
  strictEqual(Deno.statSync(join(dir, segmentName(bases[1], "index"))).size > 0, true);
  deepStrictEqual(Deno.readFileSync(join(dir, segmentName(bases[3], "index")))[3], idx3[3] - 1);
  strictEqual(again.logs.partition("s", 0)!.append(batch([["z", "z"]])).baseOffset, 20);
  await again.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("fsync modes: always and interval both persist appends across a clean reopen", async () => {
  for (const fsync of ["always", "interval"] as const) {
    const { logs, dataDir } = await openManager({ fsync, fsyncIntervalMs: 10 });
    logs.createTopic("f", 1);
    logs.partition("f", 0)!.append(batch([["a", "b"]]));
    await new Promise((r) => setTimeout(r, 30));
    await logs.close();
    const again = await openManager({ dataDir });
    strictEqual(again.logs.partition("f", 0)!.highWatermark, 1);
    await again.logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("segments: segment.ms rolls the active segment by age", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("age", 1, { "segment.ms": "20" });
  const p = logs.partition("age", 0)!;
  p.append(batch([["a", "1"]]));
  p.append(batch([["b", "2"]]));
  strictEqual(p.segments.length, 1);
  await new Promise((r) => setTimeout(r, 30));
  p.append(batch([["c", "3"]]));
  deepStrictEqual(p.segments.map((s) => s.base), [0, 2]);
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("recovery: leftovers of an interrupted compaction, deletion or checkpoint are removed", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("left", 1);
  logs.partition("left", 0)!.append(batch([["a", "1"]]));
  await logs.close();
  const dir = join(dataDir, "left-0");
  Deno.writeTextFileSync(join(dir, `${segmentName(0, "log")}.cleaned`), "half-written");
  Deno.writeTextFileSync(join(dir, `${segmentName(0, "index")}.cleaned`), "half-written");
  // A replaced or emptied segment's old log, renamed to be freed in the background.
  Deno.writeTextFileSync(join(dir, `${segmentName(0, "log")}.deleted`), "old");
  Deno.writeTextFileSync(join(dir, "log-start-offset.tmp"), "9");
  const again = await openManager({ dataDir });
  deepStrictEqual(
    [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => /cleaned|deleted|tmp/.test(n)),
    [],
  );
  strictEqual(again.logs.partition("left", 0)!.highWatermark, 1);
  strictEqual(again.logs.partition("left", 0)!.logStartOffset, 0);
  await again.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});
