import assert from "node:assert/strict";
import { buildBatch } from "../../../lib/kafka/protocol/record_batch.ts";
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

/** A v0-2 request body: no transactional_id (added in v3). */
function produceBodyV0(acks: number, topic: string, parts: [number, Uint8Array][]): number[] {
  return produceBody(acks, topic, parts).slice(2); // drop the null transactional_id (int16 -1)
}

Deno.test("Produce v0-v2: no transactional_id; throttle from v1, log_append_time from v2", async () => {
  await withBroker(async (c) => {
    for (let v = 0; v <= 2; v++) {
      const res = await c.roundTrip(
        request(0, v, 10 + v, produceBodyV0(1, "old", [[0, batch(`v${v}`)]])),
      );
      assertResponse(res, 10 + v, [
        ...arr([[
          ...str("old"),
          ...arr([[...i32(0), ...i16(0), ...i64(v), ...(v >= 2 ? i64(-1) : [])]]),
        ]]),
        ...(v >= 1 ? i32(0) : []),
      ]);
    }
  });
});

/** A one-message set in the pre-0.11 format (magic 0 or 1), key null, value "hi". */
function legacyMessageSet(magic: 0 | 1): Uint8Array {
  const body = [
    magic,
    0, // attributes
    ...(magic === 1 ? i64(1_700_000_000_000) : []),
    ...i32(-1), // key
    ...i32(2),
    0x68,
    0x69,
  ];
  // The CRC (CRC-32, not -32C) is not checked: the format is refused before that.
  const message = [...i32(0), ...body];
  return new Uint8Array([...i64(0), ...i32(message.length), ...message]);
}

Deno.test("Produce: old message formats are refused per partition, not converted", async () => {
  await withBroker(async (c) => {
    for (const magic of [0, 1] as const) {
      // v0-2: UNSUPPORTED_FOR_MESSAGE_FORMAT (Kafka would convert; we store RecordBatch v2 only).
      let res = await c.roundTrip(
        request(0, 2, 20 + magic, produceBodyV0(1, "legacy", [[0, legacyMessageSet(magic)]])),
      );
      assertResponse(res, 20 + magic, [
        ...arr([[...str("legacy"), ...arr([[...i32(0), ...i16(43), ...i64(-1), ...i64(-1)]])]]),
        ...i32(0),
      ]);
      // v3+: INVALID_RECORD, as Kafka answers a v3+ request that is not magic 2.
      res = await c.roundTrip(
        request(0, 7, 30 + magic, produceBody(1, "legacy", [[0, legacyMessageSet(magic)]])),
      );
      assertResponse(res, 30 + magic, produceResponse(7, "legacy", [[0, 87, -1, -1]]));
    }
    // Nothing was stored: the next good batch gets offset 0.
    const res = await c.roundTrip(
      request(0, 0, 40, produceBodyV0(1, "legacy", [[0, batch("ok")]])),
    );
    assertResponse(res, 40, arr([[...str("legacy"), ...arr([[...i32(0), ...i16(0), ...i64(0)]])]]));
  });
});

Deno.test("Produce: zstd batches need v7 (UNSUPPORTED_COMPRESSION_TYPE below)", async () => {
  await withBroker(async (c) => {
    const z = batch("zstd", { compression: 4 });
    let res = await c.roundTrip(request(0, 6, 1, produceBody(1, "z", [[0, z]])));
    assertResponse(res, 1, produceResponse(6, "z", [[0, 76, -1, -1]]));
    res = await c.roundTrip(request(0, 2, 2, produceBodyV0(1, "z", [[0, z]])));
    assertResponse(res, 2, [
      ...arr([[...str("z"), ...arr([[...i32(0), ...i16(76), ...i64(-1), ...i64(-1)]])]]),
      ...i32(0),
    ]);
    res = await c.roundTrip(request(0, 7, 3, produceBody(1, "z", [[0, z]])));
    assertResponse(res, 3, produceResponse(7, "z", [[0, 0, 0, 0]]));
  });
});

Deno.test("Produce: records already past retention.ms are stored, with one warning per partition", async () => {
  await withBroker(async (c, b) => {
    const old = Date.UTC(2024, 4, 1);
    for (let i = 0; i < 3; i++) {
      const res = await c.roundTrip(
        request(0, 7, i, produceBody(-1, "windows", [[0, batch(`w${i}`, { baseTimestamp: old })]])),
      );
      assertResponse(res, i, produceResponse(7, "windows", [[0, 0, i, 0]]));
    }
    // Current times: no warning.
    await c.roundTrip(
      request(0, 7, 9, produceBody(-1, "fresh", [[0, batch("f", { baseTimestamp: Date.now() })]])),
    );
    const warned = b.logs.filter((l) => l.includes("already older than retention.ms"));
    assert.equal(warned.length, 1, b.logs.join("\n"));
    assert.match(
      warned[0],
      /WARN .*produce from 127\.0\.0\.1:\d+ to windows-0 at offset 0: record times \(newest 2024-05-01T00:00:00\.000Z\) are already older than retention\.ms=604800000, so retention will delete them; produce current times or set the topic's retention\.ms=-1 \(kept by size only\)$/,
    );
  });
});
