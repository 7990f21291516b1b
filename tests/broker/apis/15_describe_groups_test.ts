import { assertResponse, withBroker } from "./_golden.ts";
import { META, stableMember } from "./_groups.ts";
import { arr, bytes, i16, i32, request, str } from "./_wire.ts";

Deno.test("DescribeGroups v0-v2: a stable group with its member; unknown is Dead", async () => {
  await withBroker(async (c) => {
    const id = await stableMember(c, "desc", [5, 6]);
    for (let v = 0; v <= 2; v++) {
      const res = await c.roundTrip(request(15, v, v, arr([str("desc"), str("unknown")])));
      assertResponse(res, v, [
        ...(v >= 1 ? i32(0) : []),
        ...arr([
          [
            ...i16(0),
            ...str("desc"),
            ...str("Stable"),
            ...str("consumer"),
            ...str("range"),
            ...arr([[
              ...str(id),
              ...str("golden"),
              ...str("/127.0.0.1"),
              ...bytes(META),
              ...bytes([5, 6]),
            ]]),
          ],
          [...i16(0), ...str("unknown"), ...str("Dead"), ...str(""), ...str(""), ...arr([])],
        ]),
      ]);
    }
  });
});
