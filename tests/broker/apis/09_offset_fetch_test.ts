import { assertResponse, withBroker } from "./_golden.ts";
import { arr, i16, i32, i64, request, str } from "./_wire.ts";

Deno.test("OffsetFetch v1-v4: committed, missing, unknown group, null topics = all", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(3, 1, 1, arr([str("of-topic")])));
    await c.roundTrip(
      request(8, 2, 2, [
        ...str("of"),
        ...i32(-1),
        ...str(""),
        ...i64(-1),
        ...arr([[...str("of-topic"), ...arr([[...i32(1), ...i64(7), ...str("m")]])]]),
      ]),
    );
    const ask = arr([[...str("of-topic"), ...arr([i32(0), i32(1)])]]);
    for (let v = 1; v <= 4; v++) {
      const t = v >= 3 ? i32(0) : [];
      const top = v >= 2 ? i16(0) : [];
      let res = await c.roundTrip(request(9, v, v, [...str("of"), ...ask]));
      assertResponse(res, v, [
        ...t,
        ...arr([[
          ...str("of-topic"),
          ...arr([
            [...i32(0), ...i64(-1), ...str(""), ...i16(0)],
            [...i32(1), ...i64(7), ...str("m"), ...i16(0)],
          ]),
        ]]),
        ...top,
      ]);
      res = await c.roundTrip(request(9, v, 10 + v, [...str("nobody"), ...ask]));
      assertResponse(res, 10 + v, [
        ...t,
        ...arr([[
          ...str("of-topic"),
          ...arr([
            [...i32(0), ...i64(-1), ...str(""), ...i16(0)],
            [...i32(1), ...i64(-1), ...str(""), ...i16(0)],
          ]),
        ]]),
        ...top,
      ]);
      if (v >= 2) {
        res = await c.roundTrip(request(9, v, 20 + v, [...str("of"), ...arr(null)]));
        assertResponse(res, 20 + v, [
          ...t,
          ...arr([[...str("of-topic"), ...arr([[...i32(1), ...i64(7), ...str("m"), ...i16(0)]])]]),
          ...top,
        ]);
      }
    }
  }, { defaultPartitions: 2 });
});
