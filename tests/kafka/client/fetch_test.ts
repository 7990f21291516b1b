import assert from "node:assert/strict";
import {
  FETCH_KEY,
  FETCH_VERSION,
  partitionRecords,
  readFetchResponse,
  RecordCursor,
  writeFetchRequest,
} from "../../../lib/kafka/client/fetch.ts";
import {
  buildBatch,
  buildControlBatch,
  Compression,
} from "../../../lib/kafka/protocol/record_batch.ts";
import { arr, i32, i64, i8, str } from "../../broker/apis/_wire.ts";
import { setupProduce, withBroker } from "../../broker/apis/_golden.ts";
import { createTopic } from "../../broker/apis/_configs.ts";
import { assertBody, roundTrip } from "./_golden.ts";

const dec = new TextDecoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Every data record the cursor yields, as [offset, key, value, headers]. */
function walk(c: RecordCursor): unknown[] {
  const out: unknown[] = [];
  while (c.next()) {
    const h = Object.fromEntries(Object.entries(c.headers()).map(([k, v]) => [k, dec.decode(v)]));
    out.push([
      c.offset,
      c.timestamp,
      c.key && dec.decode(c.key),
      c.value && dec.decode(c.value),
      h,
    ]);
  }
  return out;
}

Deno.test("RecordCursor: plain and compressed batches in place, from the fetch offset, headers on demand", () => {
  const a = buildBatch([
    { key: "k0", value: "v0", timestamp: 1000 },
    { key: null, value: null, timestamp: 1001, headers: [{ key: "h", value: "x" }] },
  ], { baseOffset: 10 });
  const b = buildBatch([{ value: "v2", timestamp: 1500 }, { value: "v3", timestamp: 1600 }], {
    baseOffset: 12,
    compression: Compression.gzip,
  });
  const buf = concat(a, b, b.subarray(0, 20)); // a cut-off batch at the end is ignored
  const c = new RecordCursor(buf, 11);
  assert.deepEqual(walk(c), [
    [11, 1001, null, null, { h: "x" }],
    [12, 1500, null, "v2", {}],
    [13, 1600, null, "v3", {}],
  ]);
  assert.equal(c.nextOffset, 14);
  // Keys and values are views into the response buffer (no copies) for plain batches.
  const d = new RecordCursor(buf, 10);
  d.next();
  assert.equal(d.value!.buffer, buf.buffer);
});

Deno.test("RecordCursor: control batches skipped; read_committed drops aborted transactions only", () => {
  const txn = (base: number, pid: number, v: string) =>
    buildBatch([{ value: v, timestamp: 5 }], {
      baseOffset: base,
      producerId: pid,
      producerEpoch: 0,
      baseSequence: 0,
      transactional: true,
    });
  const marker = (base: number, pid: number, commit: boolean) =>
    buildControlBatch({ producerId: pid, producerEpoch: 0, commit, baseOffset: base });
  const buf = concat(
    txn(0, 7, "aborted-1"),
    txn(1, 8, "committed"),
    marker(2, 7, false),
    marker(3, 8, true),
    txn(4, 7, "later-committed"),
    marker(5, 7, true),
  );
  const values = (c: RecordCursor) => {
    const out: string[] = [];
    while (c.next()) out.push(dec.decode(c.value!));
    return out;
  };
  assert.deepEqual(values(new RecordCursor(buf, 0)), [
    "aborted-1",
    "committed",
    "later-committed",
  ]);
  const committed = new RecordCursor(buf, 0, [{ producerId: 7, firstOffset: 0 }]);
  assert.deepEqual(values(committed), ["committed", "later-committed"]);
  assert.equal(committed.nextOffset, 6);
});

Deno.test("Fetch v11: golden request bytes, and the broker's records walked in place", async () => {
  await withBroker(async (c) => {
    await createTopic(c, "t");
    await setupProduce(c, "t", 0, buildBatch([{ key: "a", value: "1" }, { key: "b", value: "2" }]));
    await setupProduce(c, "t", 0, buildBatch([{ key: "c", value: "3" }]));
    const body = assertBody(
      (w) =>
        writeFetchRequest(w, {
          maxWaitMs: 100,
          minBytes: 1,
          maxBytes: 1 << 20,
          isolationLevel: 1,
          topics: [{
            topic: "t",
            partitions: [{ partition: 0, fetchOffset: 1, partitionMaxBytes: 65536 }],
          }],
        }),
      [
        ...i32(-1),
        ...i32(100),
        ...i32(1),
        ...i32(1 << 20),
        ...i8(1),
        ...i32(0),
        ...i32(-1),
        ...arr([[
          ...str("t"),
          ...arr([[...i32(0), ...i32(-1), ...i64(1), ...i64(-1), ...i32(65536)]]),
        ]]),
        ...arr([]),
        ...str(""),
      ],
    );
    const res = readFetchResponse(await roundTrip(c, FETCH_KEY, FETCH_VERSION, body));
    assert.equal(res.errorCode, 0);
    assert.equal(res.partitions.length, 1);
    const p = res.partitions[0];
    assert.deepEqual([p.topic, p.partition, p.errorCode, p.highWatermark, p.lastStableOffset], [
      "t",
      0,
      0,
      3,
      3,
    ]);
    const cur = partitionRecords(p, 1);
    const got: string[] = [];
    while (cur.next()) got.push(`${cur.offset}:${dec.decode(cur.key!)}=${dec.decode(cur.value!)}`);
    assert.deepEqual(got, ["1:b=2", "2:c=3"]);
    assert.equal(cur.nextOffset, 3);
  });
});
