import { assertResponse, withBroker } from "./_golden.ts";
import { joinBody, joinMemberId } from "./_groups.ts";
import { arr, bytes, i16, i32, request, str } from "./_wire.ts";

function syncBody(v: number, group: string, gen: number, id: string, assign: number[][]) {
  return [
    ...str(group),
    ...i32(gen),
    ...str(id),
    ...(v >= 3 ? str(null) : []),
    ...arr(assign.map((a) => [...str(id), ...bytes(a)])),
  ];
}

Deno.test("SyncGroup v0-v3: the leader's assignment comes back; wrong generation and member", async () => {
  await withBroker(async (c) => {
    for (let v = 0; v <= 3; v++) {
      const group = `sync-v${v}`;
      const joined = await c.roundTrip(request(11, 3, 1, joinBody(3, group, "")));
      const id = joinMemberId(3, joined);
      const throttle = v >= 1 ? i32(0) : [];
      let res = await c.roundTrip(request(14, v, 10 + v, syncBody(v, group, 2, id, [])));
      assertResponse(res, 10 + v, [...throttle, ...i16(22), ...bytes([])]);
      res = await c.roundTrip(request(14, v, 20 + v, syncBody(v, group, 1, "who", [])));
      assertResponse(res, 20 + v, [...throttle, ...i16(25), ...bytes([])]);
      res = await c.roundTrip(request(14, v, 30 + v, syncBody(v, group, 1, id, [[7, v]])));
      assertResponse(res, 30 + v, [...throttle, ...i16(0), ...bytes([7, v])]);
      // Stable: a repeated SyncGroup returns the stored assignment.
      res = await c.roundTrip(request(14, v, 40 + v, syncBody(v, group, 1, id, [])));
      assertResponse(res, 40 + v, [...throttle, ...i16(0), ...bytes([7, v])]);
    }
    const res = await c.roundTrip(request(14, 3, 50, syncBody(3, "nope", 1, "x", [])));
    assertResponse(res, 50, [...i32(0), ...i16(25), ...bytes([])]);
  });
});
