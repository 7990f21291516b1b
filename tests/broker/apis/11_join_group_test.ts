import assert from "node:assert/strict";
import { assertResponse, withBroker } from "./_golden.ts";
import { joinBody, joinMemberId, META } from "./_groups.ts";
import { arr, bytes, i16, i32, request, str } from "./_wire.ts";

function leaderResponse(v: number, gen: number, id: string): number[] {
  return [
    ...(v >= 2 ? i32(0) : []),
    ...i16(0),
    ...i32(gen),
    ...str("range"),
    ...str(id),
    ...str(id),
    ...arr([[...str(id), ...(v >= 5 ? str(null) : []), ...bytes(META)]]),
  ];
}

function errorResponse(v: number, code: number, memberId: string): number[] {
  return [
    ...(v >= 2 ? i32(0) : []),
    ...i16(code),
    ...i32(-1),
    ...str(""),
    ...str(""),
    ...str(memberId),
    ...arr([]),
  ];
}

Deno.test("JoinGroup v0-v5: leader response; MEMBER_ID_REQUIRED from v4", async () => {
  await withBroker(async (c) => {
    for (let v = 0; v <= 5; v++) {
      const group = `join-v${v}`;
      let res = await c.roundTrip(request(11, v, v, joinBody(v, group, "")));
      let id = joinMemberId(v, res);
      assert.match(id, /^golden-[0-9a-f-]{36}$/);
      if (v >= 4) {
        assertResponse(res, v, errorResponse(v, 79, id));
        res = await c.roundTrip(request(11, v, 100 + v, joinBody(v, group, id)));
        assertResponse(res, 100 + v, leaderResponse(v, 1, id));
      } else {
        assertResponse(res, v, leaderResponse(v, 1, id));
      }
      // Rejoining unchanged while the group awaits SyncGroup: the current generation again.
      res = await c.roundTrip(request(11, v, 200 + v, joinBody(v, group, id)));
      assertResponse(res, 200 + v, leaderResponse(v, 1, id));
      id = "";
    }
  });
});

Deno.test("JoinGroup errors: group id, session timeout, unknown member, protocol", async () => {
  await withBroker(async (c) => {
    let res = await c.roundTrip(request(11, 5, 1, joinBody(5, "", "")));
    assertResponse(res, 1, errorResponse(5, 24, ""));
    res = await c.roundTrip(request(11, 5, 2, joinBody(5, "g", "", { session: 5 })));
    assertResponse(res, 2, errorResponse(5, 26, ""));
    res = await c.roundTrip(request(11, 2, 3, joinBody(2, "g", "ghost")));
    assertResponse(res, 3, errorResponse(2, 25, "ghost"));
    res = await c.roundTrip(request(11, 2, 4, joinBody(2, "g", "")));
    const id = joinMemberId(2, res);
    res = await c.roundTrip(request(11, 2, 5, joinBody(2, "g", "", { protocols: ["sticky"] })));
    assertResponse(res, 5, errorResponse(2, 23, ""));
    res = await c.roundTrip(request(11, 1, 6, joinBody(1, "g", "", { protocolType: "connect" })));
    assertResponse(res, 6, errorResponse(1, 23, ""));
    assert.ok(id.length > 0);
  });
});

Deno.test("JoinGroup: more than 64 protocols per member is INVALID_REQUEST, 64 join", async () => {
  await withBroker(async (c) => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);
    const res = await c.roundTrip(
      request(11, 1, 1, joinBody(1, "caps", "", { protocols: names(65) })),
    );
    assertResponse(res, 1, errorResponse(1, 42, ""));
    // The connection stays usable, and 64 protocols are fine (the first one is chosen).
    const ok = await c.roundTrip(
      request(11, 1, 2, joinBody(1, "caps", "", { protocols: names(64) })),
    );
    const view = new DataView(ok.buffer, ok.byteOffset);
    assert.equal(view.getInt16(4), 0);
    assert.equal(new TextDecoder().decode(ok.subarray(12, 14)), "p0");
  });
});
