import { assertResponse, withBroker } from "./_golden.ts";
import { joinBody, stableMember } from "./_groups.ts";
import { i16, i32, request, str, WireClient } from "./_wire.ts";

const hb = (v: number, group: string, gen: number, id: string) => [
  ...str(group),
  ...i32(gen),
  ...str(id),
  ...(v >= 3 ? str(null) : []),
];

Deno.test("Heartbeat v0-v3: NONE, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS", async () => {
  await withBroker(async (c, b) => {
    const id = await stableMember(c, "hb");
    for (let v = 0; v <= 3; v++) {
      const t = v >= 1 ? i32(0) : [];
      assertResponse(await c.roundTrip(request(12, v, v, hb(v, "hb", 1, id))), v, [
        ...t,
        ...i16(0),
      ]);
      assertResponse(await c.roundTrip(request(12, v, 10 + v, hb(v, "hb", 7, id))), 10 + v, [
        ...t,
        ...i16(22),
      ]);
      assertResponse(await c.roundTrip(request(12, v, 20 + v, hb(v, "hb", 1, "x"))), 20 + v, [
        ...t,
        ...i16(25),
      ]);
      assertResponse(await c.roundTrip(request(12, v, 30 + v, hb(v, "none", 1, id))), 30 + v, [
        ...t,
        ...i16(25),
      ]);
    }
    // A second member joining (on another connection: JoinGroup parks) starts a rebalance.
    const other = await WireClient.connect(b.port);
    try {
      await other.send(request(11, 3, 1, joinBody(3, "hb", "")));
      let code = -1;
      for (let i = 0; i < 50 && code !== 27; i++) {
        const res = await c.roundTrip(request(12, 3, 40, hb(3, "hb", 1, id)));
        code = new DataView(res.buffer, res.byteOffset).getInt16(8);
        if (code !== 27) await new Promise((r) => setTimeout(r, 10));
      }
      assertResponse(await c.roundTrip(request(12, 3, 41, hb(3, "hb", 1, id))), 41, [
        ...i32(0),
        ...i16(27),
      ]);
    } finally {
      other.close();
    }
  });
});
