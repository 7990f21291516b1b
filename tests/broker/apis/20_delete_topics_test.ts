import { assertResponse, withBroker } from "./_golden.ts";
import { arr, bool, i16, i32, request, str } from "./_wire.ts";

Deno.test("DeleteTopics v0-v1: deleted, then unknown", async () => {
  await withBroker(async (c) => {
    for (let v = 0; v <= 1; v++) {
      // Auto-create through Metadata v4.
      await c.roundTrip(request(3, 4, 1, [...arr([str(`d${v}`)]), ...bool(true)]));
      const body = [...arr([str(`d${v}`), str("never")]), ...i32(1000)];
      let res = await c.roundTrip(request(20, v, 10 + v, body));
      const resp = (errFirst: number) => [
        ...(v >= 1 ? i32(0) : []),
        ...arr([[...str(`d${v}`), ...i16(errFirst)], [...str("never"), ...i16(3)]]),
      ];
      assertResponse(res, 10 + v, resp(0));
      res = await c.roundTrip(request(20, v, 20 + v, body));
      assertResponse(res, 20 + v, resp(3));
    }
  });
});
