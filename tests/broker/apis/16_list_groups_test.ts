import { assertResponse, withBroker } from "./_golden.ts";
import { stableMember } from "./_groups.ts";
import { arr, i16, i32, i64, request, str } from "./_wire.ts";

Deno.test("ListGroups v0-v2: member groups and commit-only groups", async () => {
  await withBroker(async (c) => {
    await stableMember(c, "lg-a");
    // A commit without a generation creates an Empty group with no protocol type.
    await c.roundTrip(request(3, 1, 1, arr([str("lg-topic")])));
    await c.roundTrip(
      request(8, 2, 2, [
        ...str("lg-b"),
        ...i32(-1),
        ...str(""),
        ...i64(-1),
        ...arr([[...str("lg-topic"), ...arr([[...i32(0), ...i64(3), ...str(null)]])]]),
      ]),
    );
    for (let v = 0; v <= 2; v++) {
      const res = await c.roundTrip(request(16, v, 10 + v, []));
      assertResponse(res, 10 + v, [
        ...(v >= 1 ? i32(0) : []),
        ...i16(0),
        ...arr([[...str("lg-a"), ...str("consumer")], [...str("lg-b"), ...str("")]]),
      ]);
    }
  });
});
