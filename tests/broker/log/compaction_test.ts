import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { batch, openManager, readAll, rows } from "./_util.ts";
import { validateBatch } from "../../../lib/kafka/protocol/record_batch.ts";
import { compactInSlices } from "../../../lib/broker/log/compaction.ts";
import { Logger } from "../../../lib/util/log.ts";

/** Bytes this process has read and written through syscalls so far (Linux /proc/self/io). */
function ioBytes(): number {
  const io = Deno.readTextFileSync("/proc/self/io");
  const field = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, "m").exec(io)![1]);
  return field("rchar") + field("wchar");
}

function allBatchesValid(bytes: Uint8Array): number {
  let pos = 0;
  let n = 0;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (pos < bytes.length) {
    const len = 12 + dv.getInt32(pos + 8);
    const one = bytes.subarray(pos, pos + len);
    // Compacted batches may hold fewer records than lastOffsetDelta+1; check CRC/length only.
    try {
      validateBatch(one);
    } catch (e) {
      if (!String(e).includes("recordCount")) throw e;
    }
    pos += len;
    n++;
  }
  return n;
}

Deno.test("compaction keeps the latest value per key, keeps offsets, and honours tombstones", async () => {
  let now = 50_000_000;
  const { logs, dataDir, lines } = await openManager({ now: () => now });
  logs.createTopic("cc", 1, {
    "cleanup.policy": "compact",
    "segment.bytes": "150",
    "delete.retention.ms": "1000",
  });
  const p = logs.partition("cc", 0)!;
  const ts = { timestamp: now };
  p.append(batch([["a", "a1"], ["b", "b1"]], ts)); // 0,1
  p.append(batch([["a", "a2"]], ts)); // 2
  p.append(batch([["c", "c1"], ["b", "b2"]], ts)); // 3,4
  p.append(batch([["c", null]], ts)); // 5: tombstone for c
  p.append(batch([["d", "d1"]], ts)); // 6
  p.append(batch([["a", "a3"]], ts)); // 7 (may sit in the active segment)
  strictEqual(p.segments.length > 2, true);
  logs.runMaintenance(now);
  let got = readAll(p);
  for (const s of p.segments) allBatchesValid(s.read(0, s.size));
  // Latest per key survives with its original offset; tombstone kept (not yet expired).
  deepStrictEqual(got, [[4, "b", "b2"], [5, "c", null], [6, "d", "d1"], [7, "a", "a3"]]);
  strictEqual(lines.filter((l) => l.includes("compaction: cc-0")).length, 1);
  // Nothing dirty and no tombstone due: a second pass does not rewrite anything.
  logs.runMaintenance(now);
  strictEqual(lines.filter((l) => l.includes("compaction: cc-0")).length, 1);
  // Reading from an offset removed by compaction serves the next surviving batch.
  deepStrictEqual(rows(p.read(1, 1, 0).records)[0][0], 4);

  // After delete.retention.ms the tombstone itself is removed.
  now += 5000;
  p.append(batch([["e", "e1"]], { timestamp: now }));
  logs.runMaintenance(now);
  got = readAll(p);
  deepStrictEqual(got.map((r) => r[1]), ["b", "d", "a", "e"]);
  deepStrictEqual(got.map((r) => r[0]), [4, 6, 7, 8]);
  strictEqual(p.highWatermark, 9);
  await logs.close();

  // The compacted segments are valid on disk and reopen cleanly.
  const again = await openManager({ dataDir });
  deepStrictEqual(
    readAll(again.logs.partition("cc", 0)!),
    got,
  );
  strictEqual(again.lines.some((l) => l.includes("truncated")), false);
  await again.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("compaction rebuilds partially compacted batches and drops aborted transactional data", async () => {
  const now = 50_000_000;
  const { logs, dataDir } = await openManager({ now: () => now });
  logs.createTopic("cx", 1, { "cleanup.policy": "compact", "segment.bytes": "200" });
  const p = logs.partition("cx", 0)!;
  const ts = { timestamp: now };
  p.append(batch([["x", "1"], ["y", "1"], ["z", "1"]], { ...ts, compression: 1 })); // 0-2 gzip
  p.append(batch([["y", "2"]], ts)); // 3
  p.append(batch([["x", "bad"]], {
    ...ts,
    producerId: 5,
    producerEpoch: 0,
    baseSequence: 0,
    transactional: true,
  })); // 4
  p.appendControl(5, 0, false); // 5: abort
  for (let i = 0; i < 4; i++) p.append(batch([[`f${i}`, "fill".repeat(20)]], ts)); // 6-9
  logs.runMaintenance(now);
  const got = readAll(p);
  deepStrictEqual(got.slice(0, 3), [[0, "x", "1"], [2, "z", "1"], [3, "y", "2"]]);
  strictEqual(got.some((r) => r[2] === "bad"), false);
  // The rebuilt first batch keeps base offset 0 and lastOffsetDelta 2 (3 offsets) with 2 records.
  const first = p.read(0, 1, 0).records;
  const dv = new DataView(first.buffer, first.byteOffset);
  strictEqual(dv.getInt32(23), 2);
  strictEqual(dv.getInt32(57), 2);
  strictEqual(first[22] & 0x07, 1); // still gzip
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("compaction in the background runs in slices: other work gets turns during one partition", async () => {
  const { logs, dataDir } = await openManager();
  try {
    logs.createTopic("big", 1, { "cleanup.policy": "compact", "segment.bytes": String(1 << 20) });
    const p = logs.partition("big", 0)!;
    const value = "v".repeat(1000);
    // ~8 MiB over 50 keys: eight closed segments, almost everything obsolete.
    for (let b = 0; b < 80; b++) {
      p.append(batch(Array.from({ length: 100 }, (_, i) => [`k${(b * 100 + i) % 50}`, value])));
    }
    strictEqual(p.segments.length > 6, true);
    let turns = 0;
    let running = true;
    const ticker = (async () => {
      while (running) {
        await new Promise((r) => setTimeout(r, 0));
        turns++;
      }
    })();
    await logs.maintainInBackground();
    running = false;
    await ticker;
    // One slice per MiB read (twice over the log): a pass that blocked would allow one turn.
    strictEqual(turns >= 8, true, `${turns} turns`);
    const got = readAll(p);
    strictEqual(new Set(got.map((r) => r[1])).size, 50);
    strictEqual(got.length < 8000, true);
  } finally {
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("compaction rewrites a segment in slices: no step reads and writes more than a few MiB", async () => {
  const { logs, dataDir } = await openManager();
  try {
    const MiB = 1024 * 1024;
    logs.createTopic("wide", 1, { "cleanup.policy": "compact", "segment.bytes": String(16 * MiB) });
    const p = logs.partition("wide", 0)!;
    const value = "v".repeat(1000);
    // ~40 MiB of distinct keys, plus one key rewritten in every batch: each closed segment
    // has something to drop and nearly all of it survives, so it is rewritten almost whole.
    for (let b = 0; b < 400; b++) {
      p.append(batch([
        ...Array.from({ length: 99 }, (_, i) => [`k${b * 99 + i}`, value] as [string, string]),
        ["hot", `${b}`],
      ]));
    }
    strictEqual(p.segments.length >= 3, true);
    const steps = compactInSlices(p, logs.logConfig("wide")!, Date.now(), new Logger("t", "WARN"));
    let most = 0;
    let longest = 0;
    let count = 0;
    for (;;) {
      const io = ioBytes();
      const t0 = performance.now();
      const step = steps.next();
      longest = Math.max(longest, performance.now() - t0);
      most = Math.max(most, ioBytes() - io);
      count++;
      if (step.done) {
        strictEqual(step.value.segmentsRewritten >= 2, true);
        break;
      }
      if (step.value) await step.value;
    }
    console.log(
      `${count} steps; the largest read+wrote ${(most / MiB).toFixed(2)} MiB, the longest ` +
        `took ${longest.toFixed(1)} ms`,
    );
    // A rewrite done in one step reads and writes a whole 16 MiB segment.
    strictEqual(most < 4 * MiB, true, `one step read and wrote ${most} bytes`);
    const got = readAll(p);
    // Every key is still there; "hot" keeps only its last value below the active segment.
    strictEqual(new Set(got.map((r) => r[1])).size, 400 * 99 + 1);
    strictEqual(got.length < 400 * 100, true);
    deepStrictEqual(got[got.length - 1].slice(1), ["hot", "399"]);
    // The replaced logs are freed in the background; nothing temporary stays behind.
    const leftovers = () =>
      [...Deno.readDirSync(p.dir)].map((e) => e.name).filter((n) => !/\.(log|index)$/.test(n));
    for (let i = 0; i < 200 && leftovers().some((n) => n.endsWith(".deleted")); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    deepStrictEqual(leftovers().filter((n) => n !== "log-start-offset"), []);
  } finally {
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

const SLOW = Deno.env.get("SA_SLOW_TESTS") === "1";

Deno.test({
  name: "compaction of a 2 GiB changelog: bounded memory, no long event-loop stall",
  ignore: !SLOW,
  async fn() {
    const { logs, dataDir } = await openManager();
    try {
      logs.createTopic("huge", 1, { "cleanup.policy": "compact" });
      const p = logs.partition("huge", 0)!;
      const value = "v".repeat(1000);
      for (let b = 0; b < 2 * 1024 * 1024 / 100; b++) {
        p.append(
          batch(Array.from({ length: 100 }, (_, i) => [`k${(b * 100 + i) % 10_000}`, value])),
        );
        if (b % 1000 === 0) await logs.flushAll();
      }
      await logs.flushAll();
      const rss = () => Deno.memoryUsage().rss / 1024 / 1024;
      const before = rss();
      let peak = before;
      let maxGap = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        peak = Math.max(peak, rss());
      }, 5);
      const t0 = performance.now();
      await logs.maintainInBackground();
      const took = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 20));
      clearInterval(timer);
      console.log(
        `2 GiB changelog compacted in ${(took / 1000).toFixed(1)} s, longest stall ` +
          `${maxGap.toFixed(0)} ms, RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB`,
      );
      strictEqual(maxGap < 1000, true, `event loop stalled ${maxGap.toFixed(0)} ms`);
      strictEqual(peak - before < 256, true, `RSS grew ${(peak - before).toFixed(0)} MiB`);
      strictEqual(p.segments.length <= 2, true);
    } finally {
      await logs.close();
      Deno.removeSync(dataDir, { recursive: true });
    }
  },
});

Deno.test("compaction with a full key map cleans what it mapped, the next passes finish the job", async () => {
  const { logs, dataDir } = await openManager();
  try {
    logs.createTopic("m", 1, {
      "cleanup.policy": "compact",
      "segment.bytes": "2000",
      "min.cleanable.dirty.ratio": "0.01",
    });
    const p = logs.partition("m", 0)!;
    // 30 keys written 10 times over many small segments.
    for (let round = 0; round < 10; round++) {
      for (let k = 0; k < 30; k++) p.append(batch([[`key-${k}`, `r${round}`]]));
    }
    const segmentsBefore = p.segments.length;
    strictEqual(segmentsBefore > 10, true);
    const cfg = logs.logConfig("m")!;
    const { compact } = await import("../../../lib/broker/log/compaction.ts");
    const { Logger } = await import("../../../lib/util/log.ts");
    const quiet = new Logger("t", "SILENT");
    // A map of ~10 keys: one pass cannot map everything, so it cleans a prefix only.
    const closedDuplicates = () => {
      const active = p.segments.at(-1)!.base;
      const keys = readAll(p).filter(([o]) => (o as number) < active).map(([, k]) => k);
      return keys.length - new Set(keys).size;
    };
    compact(p, cfg, Date.now(), quiet, 10 * 80);
    strictEqual(closedDuplicates() > 0, true, "one bounded pass leaves duplicates");
    for (let pass = 0; pass < 100; pass++) compact(p, cfg, Date.now(), quiet, 10 * 80);
    strictEqual(closedDuplicates(), 0);
    const got = readAll(p);
    const last = new Map<string, string | null>();
    for (const [, k, v] of got) last.set(k as string, v as string | null);
    strictEqual(last.size, 30);
    for (const v of last.values()) strictEqual(v, "r9");
    // Every key left in the closed segments is its latest value, or sits in the active segment.
    const closedKeys = got.filter(([o]) => (o as number) < p.segments.at(-1)!.base).map(([, k]) =>
      k
    );
    strictEqual(new Set(closedKeys).size, closedKeys.length);
  } finally {
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});
