import { assertResponse, withBroker } from "./_golden.ts";
import { i16, i32, i8, request, str } from "./_wire.ts";

Deno.test("FindCoordinator v0-v2: this node for groups and transactions", async () => {
  await withBroker(async (c, b) => {
    const node = [...i32(1), ...str("127.0.0.1"), ...i32(b.port)];
    let res = await c.roundTrip(request(10, 0, 1, str("g")));
    assertResponse(res, 1, [...i16(0), ...node]);
    for (let v = 1; v <= 2; v++) {
      for (const keyType of [0, 1]) {
        res = await c.roundTrip(request(10, v, 10 * v + keyType, [...str("k"), ...i8(keyType)]));
        assertResponse(res, 10 * v + keyType, [...i32(0), ...i16(0), ...str(null), ...node]);
      }
      res = await c.roundTrip(request(10, v, 50 + v, [...str("k"), ...i8(5)]));
      assertResponse(res, 50 + v, [
        ...i32(0),
        ...i16(42),
        ...str("unknown key_type 5 (expected 0 group or 1 transaction)"),
        ...i32(-1),
        ...str(""),
        ...i32(-1),
      ]);
    }
  });
});
