import assert from "node:assert/strict";
import { BatchBuilder } from "../../../lib/kafka/client/_batch_builder.ts";
import {
  buildBatch,
  decodeRecords,
  validateBatch,
} from "../../../lib/kafka/protocol/record_batch.ts";
import { crc32c } from "../../../lib/kafka/protocol/crc32c.ts";
import { i16, i32, i64, i8 } from "../../broker/apis/_wire.ts";

const ID = { producerId: 7, producerEpoch: 2, baseSequence: 40, transactional: true };

Deno.test("BatchBuilder: one record, byte for byte", () => {
  const b = new BatchBuilder(64);
  b.append("k", new Uint8Array([0xab]), { h: null }, 1000);
  const got = b.finish(ID);
  const record = [
    // length 11 (zig-zag 22), attributes, ts delta 0, offset delta 0, key "k", value 0xab,
    // one header "h" with a null value
    22,
    0,
    0,
    0,
    2,
    0x6b,
    2,
    0xab,
    2,
    2,
    0x68,
    1,
  ];
  const afterCrc = [
    ...i16(0x10), // transactional
    ...i32(0), // last offset delta
    ...i64(1000),
    ...i64(1000),
    ...i64(7),
    ...i16(2),
    ...i32(40),
    ...i32(1),
    ...record,
  ];
  const crc = crc32c(new Uint8Array(afterCrc));
  const expected = [
    ...i64(0),
    ...i32(4 + 1 + 4 + afterCrc.length), // batch length: epoch, magic, crc, rest
    ...i32(-1),
    ...i8(2),
    ...i32(crc),
    ...afterCrc,
  ];
  assert.deepEqual([...got], expected);
  validateBatch(got);
});

Deno.test("BatchBuilder: the same bytes as the reference encoder, for awkward records", () => {
  const big = "x".repeat(70_000);
  const cases: [
    string | Uint8Array | null,
    string | Uint8Array | null,
    Record<string, string | null> | undefined,
    number,
  ][] = [
    [null, "v", undefined, 5000],
    ["key", null, undefined, 4000], // a timestamp before the base: negative delta
    ["é".repeat(21), "ü".repeat(22), { "é": "ß" }, 5001], // 2-byte chars at a varint boundary
    ["€".repeat(22), "a".repeat(63), { a: "b", c: null }, 5002], // 3-byte chars: 66 bytes
    ["😀".repeat(40), "b".repeat(64), undefined, 5000 + 2 ** 32], // surrogates; a large delta
    [new Uint8Array(0), "", {}, 5003],
    ["a", big, { big }, 5004], // multi-byte lengths
    ["z", "x".repeat(8191), undefined, 5005],
    ["z", "é".repeat(2731), undefined, 5006], // 5462 bytes, upper bound 8193 chars → shift
  ];
  const b = new BatchBuilder(16);
  for (const [k, v, h, ts] of cases) b.append(k, v, h, ts);
  const got = b.finish({
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    transactional: false,
  });
  const want = buildBatch(
    cases.map(([key, value, headers, timestamp]) => ({
      key,
      value,
      timestamp,
      headers: Object.entries(headers ?? {}).map(([key, value]) => ({ key, value })),
    })),
    { partitionLeaderEpoch: -1 },
  );
  assert.equal(got.length, want.length);
  assert.deepEqual(got, want);
  const recs = decodeRecords(got);
  assert.equal(recs.length, cases.length);
  assert.equal(new TextDecoder().decode(recs[6].value!), big);
  assert.equal(recs[1].timestamp, 4000);
});

Deno.test("BatchBuilder: reset reuses the buffer; gzip and zstd batches decode", () => {
  const b = new BatchBuilder(1024);
  const buf = b.buffer;
  for (const compression of ["gzip", "zstd", "none"] as const) {
    b.reset();
    for (let i = 0; i < 500; i++) b.append(`k${i}`, `value ${i} `.repeat(5), undefined, 1000 + i);
    const batch = b.finish({ ...ID, transactional: false }, compression);
    const h = validateBatch(batch);
    assert.equal(h.attributes & 7, { gzip: 1, zstd: 4, none: 0 }[compression]);
    if (compression !== "none") assert.ok(batch.length < b.size / 3, `${compression} compresses`);
    const recs = decodeRecords(batch, h);
    assert.equal(recs.length, 500);
    assert.equal(new TextDecoder().decode(recs[499].key!), "k499");
    assert.equal(recs[499].timestamp, 1499);
  }
  assert.notEqual(b.buffer, buf, "grew past 1 KiB");
  const grown = b.buffer;
  b.reset();
  b.append("a", "b", undefined, 1);
  assert.equal(b.buffer, grown, "reset keeps the grown buffer");
});
