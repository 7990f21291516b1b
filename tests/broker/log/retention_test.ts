import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { batch, kafkaErrorOf, openManager, rows } from "./_util.ts";

const HOUR = 3600_000;

Deno.test("retention.ms deletes whole expired segments and moves the log start", async () => {
  const now = 10_000_000_000;
  const { logs, dataDir, lines } = await openManager({ now: () => now });
  logs.createTopic("old", 1, { "segment.bytes": "200", "retention.ms": String(HOUR) });
  const p = logs.partition("old", 0)!;
  for (let i = 0; i < 6; i++) {
    p.append(batch([[`k${i}`, "x".repeat(60)]], { timestamp: now - 5 * HOUR }));
  }
  for (let i = 6; i < 9; i++) p.append(batch([[`k${i}`, "x".repeat(60)]], { timestamp: now }));
  const before = p.segments.length;
  logs.runMaintenance(now);
  strictEqual(p.logStartOffset, 6);
  strictEqual(p.segments.length < before, true);
  strictEqual(kafkaErrorOf(() => p.read(0, 1000, 0)), "OFFSET_OUT_OF_RANGE");
  deepStrictEqual(rows(p.read(6, 1 << 20, 0).records).map((r) => r[0]).slice(0, 1), [6]);
  const line = lines.find((l) => l.includes("retention: old-0"));
  strictEqual(
    line?.replace(/^.*?INFO +(\[\w+\] )?/, ""),
    "retention: old-0 deletes offsets 0..5 (6 segment(s), log start 0 -> 6): newest record " +
      `time ${new Date(now - 5 * HOUR).toISOString()} is older than retention.ms=${HOUR}`,
  );
  // Once everything is expired, even the active segment goes (rolled first).
  logs.runMaintenance(now + 10 * HOUR);
  strictEqual(p.logStartOffset, 9);
  strictEqual(p.highWatermark, 9);
  strictEqual(p.append(batch([["n", "n"]], { timestamp: now })).baseOffset, 9);
  await logs.close();
  const again = await openManager({ dataDir });
  strictEqual(again.logs.partition("old", 0)!.logStartOffset, 9);
  await again.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("retention.bytes keeps the partition under the limit, oldest segments first", async () => {
  const { logs, dataDir, lines } = await openManager();
  logs.createTopic("big", 1, { "segment.bytes": "200", "retention.bytes": "400" });
  const p = logs.partition("big", 0)!;
  for (let i = 0; i < 20; i++) p.append(batch([[`k${i}`, "x".repeat(60)]]));
  logs.runMaintenance();
  strictEqual(p.sizeBytes - p.segments[p.segments.length - 1].size <= 400, true);
  strictEqual(p.logStartOffset > 0, true);
  strictEqual(p.logStartOffset, p.segments[0].base);
  strictEqual(p.highWatermark, 20);
  strictEqual(
    lines.some((l) =>
      l.includes(`retention: big-0 deletes offsets 0..${p.logStartOffset - 1} (`) &&
      l.endsWith("): partition above retention.bytes=400")
    ),
    true,
    lines.join("\n"),
  );
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("deleteRecords moves the log start durably; -1 means the high watermark", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("d", 1, { "segment.bytes": "200" });
  const p = logs.partition("d", 0)!;
  for (let i = 0; i < 10; i++) p.append(batch([[`k${i}`, "x".repeat(60)]]));
  strictEqual(p.deleteRecords(4), 4);
  strictEqual(p.deleteRecords(2), 4); // never backwards
  strictEqual(kafkaErrorOf(() => p.deleteRecords(11)), "OFFSET_OUT_OF_RANGE");
  deepStrictEqual(rows(p.read(4, 1, 0).records)[0][0], 4);
  strictEqual(kafkaErrorOf(() => p.read(3, 100, 0)), "OFFSET_OUT_OF_RANGE");
  strictEqual(p.segments[0].base <= 4, true);
  await logs.close();
  const again = await openManager({ dataDir });
  const q = again.logs.partition("d", 0)!;
  strictEqual(q.logStartOffset, 4);
  strictEqual(q.deleteRecords(-1), 10);
  strictEqual(q.read(10, 100, 0).records.length, 0);
  await again.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("offsetForTimestamp scans inside batches; LogAppendTime rewrites the batch", async () => {
  const { logs, dataDir } = await openManager({ now: () => 777_000 });
  logs.createTopic("ts", 1);
  const p = logs.partition("ts", 0)!;
  p.append(batch([["a", "1"]], { timestamp: 1000 }));
  const { buildBatch } = await import("../../../lib/kafka/protocol/record_batch.ts");
  p.append(buildBatch([
    { key: "b", value: "2", timestamp: 2000 },
    { key: "c", value: "3", timestamp: 3000 },
  ]));
  deepStrictEqual(p.offsetForTimestamp(0), { offset: 0, timestamp: 1000 });
  deepStrictEqual(p.offsetForTimestamp(2500), { offset: 2, timestamp: 3000 });
  strictEqual(p.offsetForTimestamp(3001), null);
  logs.createTopic("lat", 1, { "message.timestamp.type": "LogAppendTime" });
  const q = logs.partition("lat", 0)!;
  const res = q.append(batch([["a", "1"]], { timestamp: 5 }));
  strictEqual(res.logAppendTime, 777_000);
  const { validateBatch } = await import("../../../lib/kafka/protocol/record_batch.ts");
  const stored = q.read(0, 1000, 0).records;
  const h = validateBatch(stored); // CRC recomputed
  strictEqual(h.maxTimestamp, 777_000);
  strictEqual(h.attributes & 0x08, 0x08);
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("append rejects control batches, oversized batches and null keys on compacted topics", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("small", 1, { "max.message.bytes": "100" });
  strictEqual(
    kafkaErrorOf(() => logs.partition("small", 0)!.append(batch([["k", "v".repeat(200)]]))),
    "MESSAGE_TOO_LARGE",
  );
  logs.createTopic("cmp", 1, { "cleanup.policy": "compact" });
  const c = logs.partition("cmp", 0)!;
  strictEqual(kafkaErrorOf(() => c.append(batch([["k", "v"], [null, "v"]]))), "INVALID_RECORD");
  const { buildControlBatch } = await import("../../../lib/kafka/protocol/record_batch.ts");
  strictEqual(
    kafkaErrorOf(() =>
      c.append(buildControlBatch({ producerId: 1, producerEpoch: 0, commit: true }))
    ),
    "INVALID_RECORD",
  );
  const bad = batch([["k", "v"]]);
  bad[bad.length - 1] ^= 1;
  strictEqual(kafkaErrorOf(() => c.append(bad)), "CORRUPT_MESSAGE");
  strictEqual(c.highWatermark, 0);
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("background maintenance: one partition per event-loop turn, passes never overlap, close waits", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("bg", 3, { "segment.bytes": "200", "retention.bytes": "400" });
  for (let part = 0; part < 3; part++) {
    const p = logs.partition("bg", part)!;
    for (let i = 0; i < 20; i++) p.append(batch([[`k${i}`, "x".repeat(60)]]));
  }
  const pass = logs.maintainInBackground();
  strictEqual(logs.maintainInBackground(), pass, "a second call joins the running pass");
  // Nothing ran synchronously: the pass yields before each partition.
  strictEqual(logs.partition("bg", 0)!.logStartOffset, 0);
  // A timer queued now runs before the pass is over (requests are served in between).
  const order: string[] = [];
  setTimeout(() => order.push("timer"), 0);
  await pass.then(() => order.push("pass"));
  strictEqual(order[0], "timer");
  for (let part = 0; part < 3; part++) {
    strictEqual(logs.partition("bg", part)!.logStartOffset > 0, true, `bg-${part} trimmed`);
  }
  // A pass interrupted by close ends without touching closed logs.
  const late = logs.maintainInBackground();
  await logs.close();
  await late;
  Deno.removeSync(dataDir, { recursive: true });
});
