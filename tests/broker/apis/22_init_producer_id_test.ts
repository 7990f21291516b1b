import { assertResponse, withBroker } from "./_golden.ts";
import { i16, i32, i64, request, str } from "./_wire.ts";

const init = (txnId: string | null, timeout: number) => [...str(txnId), ...i32(timeout)];

Deno.test("InitProducerId v0-v1: idempotent ids, transactional epochs, bad timeouts", async () => {
  await withBroker(async (c) => {
    // A fresh data dir hands out producer ids from 0.
    let res = await c.roundTrip(request(22, 0, 1, init(null, 0)));
    assertResponse(res, 1, [...i32(0), ...i16(0), ...i64(0), ...i16(0)]);
    res = await c.roundTrip(request(22, 1, 2, init(null, 0)));
    assertResponse(res, 2, [...i32(0), ...i16(0), ...i64(1), ...i16(0)]);
    for (let v = 0; v <= 1; v++) {
      res = await c.roundTrip(request(22, v, 10 + v, init("tx", 60_000)));
      assertResponse(res, 10 + v, [...i32(0), ...i16(0), ...i64(2), ...i16(v)]);
      res = await c.roundTrip(request(22, v, 20 + v, init("tx", 900_001)));
      assertResponse(res, 20 + v, [...i32(0), ...i16(50), ...i64(-1), ...i16(-1)]);
    }
  });
});
