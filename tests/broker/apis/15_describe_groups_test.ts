import { assertResponse, withBroker } from "./_golden.ts";
import { META, stableMember } from "./_groups.ts";
import { carr, cbytes, cnstr, cscalars, TAGS } from "./_flex.ts";
import { joinStable, subscription } from "./_members.ts";
import { arr, bool, bytes, cstr, i16, i32, request, str } from "./_wire.ts";

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

Deno.test("DescribeGroups v3-v5: authorized operations, group_instance_id, flexible encoding", async () => {
  await withBroker(async (c) => {
    const meta = subscription(["t"]);
    const dynamic = await joinStable(c, "dyn", meta);
    const static_ = await joinStable(c, "stat", meta, { instanceId: "replica-1" });
    for (let v = 3; v <= 5; v++) {
      const flex = v >= 5;
      const s = flex ? cstr : str;
      const b = flex ? cbytes : bytes;
      const a = flex ? carr : arr;
      const group = (id: string, member: string, instance: string | null) => [
        ...i16(0),
        ...s(id),
        ...s("Stable"),
        ...s("consumer"),
        ...s("range"),
        ...a([[
          ...s(member),
          ...(v >= 4 ? (flex ? cnstr(instance) : str(instance)) : []),
          ...s("golden"),
          ...s("/127.0.0.1"),
          ...b(meta),
          ...b([7]),
        ]]),
        ...i32(-2147483648),
      ];
      const ids = flex ? cscalars([cstr("dyn"), cstr("stat")]) : arr([str("dyn"), str("stat")]);
      const res = await c.roundTrip(
        request(15, v, v, [...ids, ...bool(true), ...(flex ? TAGS : [])], { flexible: flex }),
      );
      assertResponse(res, v, [
        ...i32(0),
        ...a([group("dyn", dynamic, null), group("stat", static_, "replica-1")]),
        ...(flex ? TAGS : []),
      ], flex ? TAGS : []);
    }
  });
});
