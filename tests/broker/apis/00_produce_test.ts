import assert from "node:assert/strict";
import { buildBatch } from "../../../lib/broker/protocol/record_batch.ts";
import { assertResponse, withBroker } from "./_golden.ts";
import { arr, bytes, i16, i32, i64, request, str } from "./_wire.ts";

const batch = (value: string, opts: Parameters<typeof buildBatch>[1] = {}) =>
  buildBatch([{ key: "k", value }], { baseTimestamp: 1_700_000_000_000, ...opts });

function produceBody(
  acks: number,
  topic: string,
  parts: [number, Uint8Array | null][],
  txnId: string | null = null,
): number[] {
  return [
    ...str(txnId),
    ...i16(acks),
    ...i32(5000),
    ...arr([[...str(topic), ...arr(parts.map(([p, b]) => [...i32(p), ...bytes(b)]))]]),
  ];
}

function produceResponse(
  v: number,
  topic: string,
  parts: [number, number, number, number][], // index, error, baseOffset, logStart
): number[] {
  return [
    ...arr([[
      ...str(topic),
      ...arr(parts.map(([p, err, base, start]) => [
        ...i32(p),
        ...i16(err),
        ...i64(base),
        ...i64(-1), // log_append_time: CreateTime topics
        ...(v >= 5 ? i64(start) : []),
      ])),
    ]]),
    ...i32(0),
  ];
}

Deno.test("Produce v3-v7: appends and answers base offsets per partition", async () => {
  await withBroker(async (c) => {
    for (let v = 3; v <= 7; v++) {
      const res = await c.roundTrip(
        request(0, v, v, produceBody(-1, "golden", [[0, batch(`v${v}`)]])),
      );
      assertResponse(res, v, produceResponse(v, "golden", [[0, 0, v - 3, 0]]));
    }
  });
});

Deno.test("Produce: per-partition errors", async () => {
  await withBroker(async (c) => {
    const b = batch("x");
    const v = 7;
    // Unknown partition of an existing (auto-created, 1 partition) topic.
    let res = await c.roundTrip(request(0, v, 1, produceBody(1, "t", [[0, b], [5, b]])));
    assertResponse(res, 1, produceResponse(v, "t", [[0, 0, 0, 0], [5, 3, -1, -1]]));
    // Two batches for one partition: INVALID_RECORD.
    const two = new Uint8Array([...b, ...b]);
    res = await c.roundTrip(request(0, v, 2, produceBody(1, "t", [[0, two]])));
    assertResponse(res, 2, produceResponse(v, "t", [[0, 87, -1, -1]]));
    // Null and truncated record sets.
    res = await c.roundTrip(request(0, v, 3, produceBody(1, "t", [[0, null]])));
    assertResponse(res, 3, produceResponse(v, "t", [[0, 87, -1, -1]]));
    res = await c.roundTrip(request(0, v, 4, produceBody(1, "t", [[0, b.subarray(0, 40)]])));
    assertResponse(res, 4, produceResponse(v, "t", [[0, 2, -1, -1]]));
    // A flipped payload byte fails the CRC: CORRUPT_MESSAGE.
    const bad = b.slice();
    bad[bad.length - 2] ^= 0xff;
    res = await c.roundTrip(request(0, v, 5, produceBody(1, "t", [[0, bad]])));
    assertResponse(res, 5, produceResponse(v, "t", [[0, 2, -1, -1]]));
    // acks=2 is not a valid setting.
    res = await c.roundTrip(request(0, v, 6, produceBody(2, "t", [[0, b]])));
    assertResponse(res, 6, produceResponse(v, "t", [[0, 21, -1, -1]]));
    // Invalid topic name.
    res = await c.roundTrip(request(0, v, 7, produceBody(1, "a/b", [[0, b]])));
    assertResponse(res, 7, produceResponse(v, "a/b", [[0, 17, -1, -1]]));
    // A transactional batch for a partition not in a transaction: INVALID_TXN_STATE.
    const txn = batch("t", {
      producerId: 7,
      producerEpoch: 0,
      baseSequence: 0,
      transactional: true,
    });
    res = await c.roundTrip(request(0, v, 8, produceBody(1, "t", [[0, txn]], "tx")));
    assertResponse(res, 8, produceResponse(v, "t", [[0, 48, -1, -1]]));
    // The good batch from request 1 is the only thing in the log.
    res = await c.roundTrip(request(0, v, 9, produceBody(1, "t", [[0, b]])));
    assertResponse(res, 9, produceResponse(v, "t", [[0, 0, 1, 0]]));
  });
});

Deno.test("Produce acks=0: no response; a failing acks=0 produce closes the connection", async () => {
  await withBroker(async (c) => {
    await c.send(request(0, 7, 1, produceBody(0, "z", [[0, batch("a")]])));
    // The next response on the connection is for the next request (ApiVersions).
    const res = await c.roundTrip(request(18, 0, 2, []));
    assert.equal(new DataView(res.buffer).getInt32(0), 2);
    // Unknown partition with acks=0: Kafka closes the connection so the client notices.
    await c.send(request(0, 7, 3, produceBody(0, "z", [[9, batch("b")]])));
    assert.equal(await c.receive(), null);
  });
});

Deno.test("Produce with auto-creation off: UNKNOWN_TOPIC_OR_PARTITION", async () => {
  await withBroker(async (c) => {
    const res = await c.roundTrip(request(0, 5, 1, produceBody(1, "nope", [[0, batch("x")]])));
    assertResponse(res, 1, produceResponse(5, "nope", [[0, 3, -1, -1]]));
  }, { autoCreateTopics: false });
});
