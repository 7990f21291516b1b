import { deepStrictEqual, strictEqual } from "node:assert/strict";
import {
  Attr,
  buildBatch,
  buildControlBatch,
  Compression,
  controlBatchIsCommit,
  decodeRecords,
  setBaseOffset,
  updateCrc,
  validateBatch,
} from "../../../lib/kafka/protocol/record_batch.ts";
import { kafkaErrorOf } from "../../broker/log/_util.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("record batch: build → validate → decode round trip, plain and gzip", () => {
  for (const compression of [Compression.none, Compression.gzip]) {
    const b = buildBatch([
      { key: "a", value: "1", timestamp: 1000, headers: [{ key: "h", value: "x" }] },
      { key: null, value: null, timestamp: 999 },
      { key: "c", value: enc.encode("3".repeat(300)), timestamp: 1005 },
    ], { compression, producerId: 7, producerEpoch: 2, baseSequence: 10 });
    const h = validateBatch(b);
    strictEqual(h.recordCount, 3);
    strictEqual(h.lastOffsetDelta, 2);
    strictEqual(h.baseTimestamp, 1000);
    strictEqual(h.maxTimestamp, 1005);
    strictEqual(h.attributes & Attr.compressionMask, compression);
    deepStrictEqual([h.producerId, h.producerEpoch, h.baseSequence], [7, 2, 10]);
    setBaseOffset(b, 500); // outside the CRC: still valid
    const recs = decodeRecords(b, validateBatch(b));
    deepStrictEqual(recs.map((r) => r.offset), [500, 501, 502]);
    deepStrictEqual(recs.map((r) => r.timestamp), [1000, 999, 1005]);
    deepStrictEqual(recs.map((r) => r.key && dec.decode(r.key)), ["a", null, "c"]);
    strictEqual(recs[1].value, null);
    strictEqual(dec.decode(recs[2].value!), "3".repeat(300));
    deepStrictEqual(recs[0].headers.map((x) => [x.key, dec.decode(x.value!)]), [["h", "x"]]);
  }
});

Deno.test("record batch: validation rejects what Kafka rejects", () => {
  const good = buildBatch([{ key: "k", value: "v" }]);
  const badCrc = good.slice();
  badCrc[good.length - 1] ^= 1;
  strictEqual(kafkaErrorOf(() => validateBatch(badCrc)), "CORRUPT_MESSAGE");
  strictEqual(
    kafkaErrorOf(() => validateBatch(good.subarray(0, good.length - 1))),
    "CORRUPT_MESSAGE",
  );
  strictEqual(kafkaErrorOf(() => validateBatch(good.subarray(0, 30))), "CORRUPT_MESSAGE");
  const magic = good.slice();
  magic[16] = 1;
  strictEqual(kafkaErrorOf(() => validateBatch(magic)), "CORRUPT_MESSAGE");
  const count = buildBatch([{ key: "k", value: "v" }], { lastOffsetDelta: 3 });
  strictEqual(kafkaErrorOf(() => validateBatch(count)), "INVALID_RECORD");
  const seq = buildBatch([{ key: "k", value: "v" }], { producerId: 1, producerEpoch: 0 });
  strictEqual(kafkaErrorOf(() => validateBatch(seq)), "INVALID_RECORD");
  // Claiming lz4 over plain records: the CRC is fine but the frame is not.
  const lz4 = buildBatch([{ key: "k", value: "v" }]);
  lz4[22] |= Compression.lz4;
  updateCrc(lz4);
  strictEqual(kafkaErrorOf(() => validateBatch(lz4)), "CORRUPT_MESSAGE");
  strictEqual(kafkaErrorOf(() => decodeRecords(lz4)), "CORRUPT_MESSAGE");
  const codec7 = buildBatch([{ key: "k", value: "v" }]);
  codec7[22] |= 7;
  updateCrc(codec7);
  strictEqual(kafkaErrorOf(() => validateBatch(codec7)), "CORRUPT_MESSAGE");
});

Deno.test("record batch: control markers use key 00 00 00 0X and attributes 0x30", () => {
  const abort = buildControlBatch({ producerId: 3, producerEpoch: 1, commit: false });
  const h = validateBatch(abort);
  strictEqual(h.attributes, 0x30);
  strictEqual(h.baseSequence, -1);
  deepStrictEqual([...decodeRecords(abort)[0].key!], [0, 0, 0, 0]);
  strictEqual(controlBatchIsCommit(abort), false);
  const commit = buildControlBatch({ producerId: 3, producerEpoch: 1, commit: true });
  deepStrictEqual([...decodeRecords(commit)[0].key!], [0, 0, 0, 1]);
  strictEqual(controlBatchIsCommit(commit), true);
});

Deno.test("record batch: CRC-valid batches with malformed records are refused", () => {
  // Claims 1000 records but carries one: count and lastOffsetDelta agree, CRC is right.
  const liar = buildBatch([{ key: "k", value: "v" }], { lastOffsetDelta: 999 });
  new DataView(liar.buffer).setInt32(57, 1000);
  updateCrc(liar);
  strictEqual(kafkaErrorOf(() => validateBatch(liar)), "CORRUPT_MESSAGE");
  // Offset deltas must run 0, 1, 2...
  const skip = buildBatch([{ key: "a", value: "1" }, { key: "b", value: "2", offsetDelta: 5 }], {
    lastOffsetDelta: 1,
  });
  strictEqual(kafkaErrorOf(() => validateBatch(skip)), "INVALID_RECORD");
  // A record length that overruns the batch, and trailing garbage after the last record.
  const good = buildBatch([{ key: "k", value: "v" }]);
  const overrun = good.slice();
  overrun[61] = 0x7e; // length varint 63 > bytes left
  updateCrc(overrun);
  strictEqual(kafkaErrorOf(() => validateBatch(overrun)), "CORRUPT_MESSAGE");
  const trailing = new Uint8Array(good.length + 3);
  trailing.set(good);
  new DataView(trailing.buffer).setInt32(8, trailing.length - 12);
  updateCrc(trailing);
  strictEqual(kafkaErrorOf(() => validateBatch(trailing)), "CORRUPT_MESSAGE");
  // Headers and null keys/values are fine.
  validateBatch(buildBatch([
    { key: null, value: null, headers: [{ key: "h", value: null }, { key: "", value: "x" }] },
  ]));
});

Deno.test("record batch: key, value and header value lengths below -1 are CORRUPT_MESSAGE", () => {
  // One record with a null key and value (zig-zag -1 = 0x01) and one header with a null value;
  // -5 (zig-zag 0x09) keeps the record length consistent, so only the length check can catch it.
  const good = buildBatch([{ key: null, value: null, headers: [{ key: "h", value: null }] }]);
  deepStrictEqual([...good.subarray(65, 71)], [0x01, 0x01, 0x02, 0x02, 0x68, 0x01]);
  validateBatch(good);
  for (const at of [65, 66, 70]) {
    const bad = good.slice();
    bad[at] = 0x09;
    updateCrc(bad);
    strictEqual(kafkaErrorOf(() => validateBatch(bad)), "CORRUPT_MESSAGE", `byte ${at}`);
  }
});
