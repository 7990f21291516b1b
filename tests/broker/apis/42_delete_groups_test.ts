import { assertResponse, withBroker } from "./_golden.ts";
import { stableMember } from "./_groups.ts";
import { arr, i16, i32, i64, request, str } from "./_wire.ts";

Deno.test("DeleteGroups v0-v1: deleted, not found, non-empty; offsets go too", async () => {
  await withBroker(async (c) => {
    await stableMember(c, "dg-busy");
    await c.roundTrip(request(3, 1, 1, arr([str("dg-topic")])));
    for (let v = 0; v <= 1; v++) {
      await c.roundTrip(
        request(8, 2, 2, [
          ...str("dg-idle"),
          ...i32(-1),
          ...str(""),
          ...i64(-1),
          ...arr([[...str("dg-topic"), ...arr([[...i32(0), ...i64(5), ...str(null)]])]]),
        ]),
      );
      const res = await c.roundTrip(
        request(42, v, 10 + v, arr([str("dg-idle"), str("dg-none"), str("dg-busy")])),
      );
      assertResponse(res, 10 + v, [
        ...i32(0),
        ...arr([
          [...str("dg-idle"), ...i16(0)],
          [...str("dg-none"), ...i16(69)],
          [...str("dg-busy"), ...i16(68)],
        ]),
      ]);
      const fetched = await c.roundTrip(request(9, 2, 20 + v, [...str("dg-idle"), ...arr(null)]));
      assertResponse(fetched, 20 + v, [...arr([]), ...i16(0)]);
    }
  });
});
