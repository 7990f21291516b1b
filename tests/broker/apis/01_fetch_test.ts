import assert from "node:assert/strict";
import { buildBatch } from "../../../lib/kafka/protocol/record_batch.ts";
import { assertResponse, setupProduce, stored, withBroker } from "./_golden.ts";
import { arr, bytes, i16, i32, i64, i8, request, str, WireClient } from "./_wire.ts";

const batch = (value: string) =>
  buildBatch([{ key: "k", value }, { key: "k2", value }], { baseTimestamp: 1_700_000_000_000 });

interface Req {
  maxWait?: number;
  minBytes?: number;
  maxBytes?: number;
  isolation?: number;
  sessionId?: number;
  topic?: string;
  partition?: number;
  offset: number;
  partMax?: number;
}

function fetchBody(v: number, r: Req): number[] {
  return [
    ...i32(-1),
    ...i32(r.maxWait ?? 0),
    ...i32(r.minBytes ?? 1),
    ...i32(r.maxBytes ?? 1 << 20),
    ...i8(r.isolation ?? 0),
    ...(v >= 7 ? [...i32(r.sessionId ?? 0), ...i32(-1)] : []),
    ...arr([[
      ...str(r.topic ?? "f"),
      ...arr([[
        ...i32(r.partition ?? 0),
        ...(v >= 9 ? i32(-1) : []),
        ...i64(r.offset),
        ...(v >= 5 ? i64(-1) : []),
        ...i32(r.partMax ?? 1 << 20),
      ]]),
    ]]),
    ...(v >= 7 ? arr([]) : []),
    ...(v >= 11 ? str("") : []),
  ];
}

interface Part {
  partition?: number;
  error?: number;
  hwm: number;
  lso: number;
  start: number;
  aborted: number[][] | null;
  records: number[];
}

function fetchResponse(v: number, topic: string, p: Part, topError = 0): number[] {
  return [
    ...i32(0),
    ...(v >= 7 ? [...i16(topError), ...i32(0)] : []),
    ...arr([[
      ...str(topic),
      ...arr([[
        ...i32(p.partition ?? 0),
        ...i16(p.error ?? 0),
        ...i64(p.hwm),
        ...i64(p.lso),
        ...(v >= 5 ? i64(p.start) : []),
        ...arr(p.aborted),
        ...(v >= 11 ? i32(-1) : []),
        ...bytes(p.records),
      ]]),
    ]]),
  ];
}

Deno.test("Fetch v4-v11: whole stored batches, watermarks, isolation, errors", async () => {
  await withBroker(async (c) => {
    const b0 = batch("a");
    const b1 = batch("b");
    assert.equal(await setupProduce(c, "f", 0, b0), 0);
    assert.equal(await setupProduce(c, "f", 0, b1), 2);
    const both = [...stored(b0, 0), ...stored(b1, 2)];
    let corr = 0;
    for (let v = 4; v <= 11; v++) {
      const ok = { hwm: 4, lso: 4, start: 0 };
      // From offset 0: both batches; read_uncommitted has null aborted_transactions.
      let res = await c.roundTrip(request(1, v, ++corr, fetchBody(v, { offset: 0 })));
      assertResponse(res, corr, fetchResponse(v, "f", { ...ok, aborted: null, records: both }));
      // read_committed: an empty (not null) aborted list.
      res = await c.roundTrip(request(1, v, ++corr, fetchBody(v, { offset: 0, isolation: 1 })));
      assertResponse(res, corr, fetchResponse(v, "f", { ...ok, aborted: [], records: both }));
      // An offset inside the first batch returns that whole batch (the client skips offset 0).
      // A 1-byte partition limit still returns one whole batch (KIP-74), and only one.
      res = await c.roundTrip(request(1, v, ++corr, fetchBody(v, { offset: 1, partMax: 1 })));
      assertResponse(
        res,
        corr,
        fetchResponse(v, "f", { ...ok, aborted: null, records: stored(b0, 0) }),
      );
      // At the high watermark: empty bytes (length 0, never null).
      res = await c.roundTrip(request(1, v, ++corr, fetchBody(v, { offset: 4 })));
      assertResponse(res, corr, fetchResponse(v, "f", { ...ok, aborted: null, records: [] }));
      // Past the high watermark: OFFSET_OUT_OF_RANGE with the watermarks.
      res = await c.roundTrip(request(1, v, ++corr, fetchBody(v, { offset: 9, maxWait: 5000 })));
      assertResponse(
        res,
        corr,
        fetchResponse(v, "f", { ...ok, error: 1, aborted: null, records: [] }),
      );
      // Unknown topic: UNKNOWN_TOPIC_OR_PARTITION, -1 watermarks, answered without waiting.
      res = await c.roundTrip(
        request(1, v, ++corr, fetchBody(v, { offset: 0, topic: "nope", maxWait: 5000 })),
      );
      assertResponse(
        res,
        corr,
        fetchResponse(v, "nope", {
          error: 3,
          hwm: -1,
          lso: -1,
          start: -1,
          aborted: null,
          records: [],
        }),
      );
      if (v >= 7) {
        // A fetch session we never created.
        res = await c.roundTrip(request(1, v, ++corr, fetchBody(v, { offset: 0, sessionId: 42 })));
        assertResponse(res, corr, [...i32(0), ...i16(70), ...i32(0), ...arr([])]);
      }
    }
  });
});

Deno.test("Fetch max_bytes: a later partition's batch that does not fit is left out", async () => {
  await withBroker(async (c) => {
    const b0 = batch("first");
    const b1 = batch("second");
    await setupProduce(c, "m", 0, b0);
    await setupProduce(c, "m", 1, b1);
    const v = 11;
    const part = (p: number) => [...i32(p), ...i32(-1), ...i64(0), ...i64(-1), ...i32(1 << 20)];
    const body = [
      ...i32(-1),
      ...i32(0),
      ...i32(1),
      ...i32(b0.length + 10),
      ...i8(0),
      ...i32(0),
      ...i32(-1),
      ...arr([[...str("m"), ...arr([part(0), part(1)])]]),
      ...arr([]),
      ...str(""),
    ];
    const res = await c.roundTrip(request(1, v, 1, body));
    const p = (i: number, records: number[]) => [
      ...i32(i),
      ...i16(0),
      ...i64(2),
      ...i64(2),
      ...i64(0),
      ...arr(null),
      ...i32(-1),
      ...bytes(records),
    ];
    assertResponse(res, 1, [
      ...i32(0),
      ...i16(0),
      ...i32(0),
      ...arr([[...str("m"), ...arr([p(0, stored(b0, 0)), p(1, [])])]]),
    ]);
  }, { defaultPartitions: 2 });
});

Deno.test("Fetch long-polls until a produce on another connection wakes it", async () => {
  await withBroker(async (c, b) => {
    const first = batch("one");
    await setupProduce(c, "lp", 0, first);
    const fetcher = await WireClient.connect(b.port);
    try {
      const v = 11;
      const started = Date.now();
      const pending = fetcher.roundTrip(
        request(1, v, 7, fetchBody(v, { topic: "lp", offset: 2, maxWait: 10_000 })),
      );
      await new Promise((r) => setTimeout(r, 100));
      const second = batch("two");
      await setupProduce(c, "lp", 0, second);
      const res = await pending;
      const waited = Date.now() - started;
      assert.ok(waited >= 90 && waited < 5000, `waited ${waited} ms`);
      assertResponse(
        res,
        7,
        fetchResponse(v, "lp", {
          hwm: 4,
          lso: 4,
          start: 0,
          aborted: null,
          records: stored(second, 2),
        }),
      );
      // With nothing appended the wait ends at max_wait_ms with an empty result.
      const t0 = Date.now();
      const idle = await fetcher.roundTrip(
        request(1, v, 8, fetchBody(v, { topic: "lp", offset: 4, maxWait: 150 })),
      );
      assert.ok(Date.now() - t0 >= 140, "returned before max_wait_ms");
      assertResponse(
        idle,
        8,
        fetchResponse(v, "lp", { hwm: 4, lso: 4, start: 0, aborted: null, records: [] }),
      );
    } finally {
      fetcher.close();
    }
  });
});

Deno.test("Fetch parked at broker shutdown returns promptly", async () => {
  let fetcher: WireClient | undefined;
  const t0 = Date.now();
  await withBroker(async (c, b) => {
    await setupProduce(c, "sd", 0, batch("x"));
    fetcher = await WireClient.connect(b.port);
    await fetcher.send(
      request(1, 11, 1, fetchBody(11, { topic: "sd", offset: 2, maxWait: 30_000 })),
    );
    await new Promise((r) => setTimeout(r, 50));
  });
  assert.ok(Date.now() - t0 < 5000, "close waited for the long poll");
  fetcher?.close();
});
