import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { batch, openManager, readAll, rows } from "./_util.ts";
import { validateBatch } from "../../../lib/broker/protocol/record_batch.ts";

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
