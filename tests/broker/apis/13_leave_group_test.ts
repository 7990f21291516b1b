import { assertResponse, withBroker } from "./_golden.ts";
import { stableMember } from "./_groups.ts";
import { arr, i16, i32, request, str } from "./_wire.ts";

Deno.test("LeaveGroup v0-v2: one member, its error at the top level", async () => {
  await withBroker(async (c) => {
    for (let v = 0; v <= 2; v++) {
      const group = `leave-v${v}`;
      const id = await stableMember(c, group);
      const t = v >= 1 ? i32(0) : [];
      let res = await c.roundTrip(request(13, v, v, [...str(group), ...str(id)]));
      assertResponse(res, v, [...t, ...i16(0)]);
      res = await c.roundTrip(request(13, v, 10 + v, [...str(group), ...str(id)]));
      assertResponse(res, 10 + v, [...t, ...i16(25)]);
    }
  });
});

Deno.test("LeaveGroup v3: a batch of members with per-member errors", async () => {
  await withBroker(async (c) => {
    const id = await stableMember(c, "leave-v3");
    const res = await c.roundTrip(
      request(13, 3, 7, [
        ...str("leave-v3"),
        ...arr([
          [...str("ghost"), ...str(null)],
          [...str(id), ...str("inst")], // a dynamic member named with an unknown instance id
          [...str(id), ...str(null)],
        ]),
      ]),
    );
    assertResponse(res, 7, [
      ...i32(0),
      ...i16(0),
      ...arr([
        [...str("ghost"), ...str(null), ...i16(25)],
        [...str(id), ...str("inst"), ...i16(25)],
        [...str(id), ...str(null), ...i16(0)],
      ]),
    ]);
  });
});
