import { assertResponse, withBroker } from "./_golden.ts";
import { stableMember } from "./_groups.ts";
import { arr, i16, i32, i64, request, str } from "./_wire.ts";

function commitBody(v: number, group: string, gen: number, member: string, topic: string) {
  return [
    ...str(group),
    ...i32(gen),
    ...str(member),
    ...(v <= 4 ? i64(-1) : []),
    ...arr([
      [
        ...str(topic),
        ...arr([[...i32(0), ...i64(42), ...str("meta")], [
          ...i32(1),
          ...i64(43),
          ...str(null),
        ]]),
      ],
      [...str("no-such-topic"), ...arr([[...i32(0), ...i64(1), ...str(null)]])],
    ]),
  ];
}

function commitResponse(v: number, topic: string, code: number): number[] {
  return [
    ...(v >= 3 ? i32(0) : []),
    ...arr([
      [...str(topic), ...arr([[...i32(0), ...i16(code)], [...i32(1), ...i16(code)]])],
      [...str("no-such-topic"), ...arr([[...i32(0), ...i16(3)]])],
    ]),
  ];
}

Deno.test("OffsetCommit v2-v5: simple commits, member commits, membership errors", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(3, 1, 1, arr([str("oc-topic")]))); // auto-creates 2 partitions
    for (let v = 2; v <= 5; v++) {
      let res = await c.roundTrip(request(8, v, v, commitBody(v, `oc-${v}`, -1, "", "oc-topic")));
      assertResponse(res, v, commitResponse(v, "oc-topic", 0));
      const id = await stableMember(c, `oc-m${v}`);
      res = await c.roundTrip(request(8, v, 10 + v, commitBody(v, `oc-m${v}`, 1, id, "oc-topic")));
      assertResponse(res, 10 + v, commitResponse(v, "oc-topic", 0));
      res = await c.roundTrip(request(8, v, 20 + v, commitBody(v, `oc-m${v}`, 9, id, "oc-topic")));
      assertResponse(res, 20 + v, commitResponse(v, "oc-topic", 22));
      res = await c.roundTrip(request(8, v, 30 + v, commitBody(v, `oc-m${v}`, 1, "x", "oc-topic")));
      assertResponse(res, 30 + v, commitResponse(v, "oc-topic", 25));
      res = await c.roundTrip(request(8, v, 40 + v, commitBody(v, `oc-m${v}`, -1, "", "oc-topic")));
      assertResponse(res, 40 + v, commitResponse(v, "oc-topic", 25));
    }
  }, { defaultPartitions: 2 });
});
