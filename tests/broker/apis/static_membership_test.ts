// Golden bytes of static membership (KIP-345) across the group APIs: once a static member has
// restarted under a new member id, every request from the old member id that names the
// instance (JoinGroup v5, Heartbeat v3, SyncGroup v3, OffsetCommit v7–8, TxnOffsetCommit v3,
// LeaveGroup v3) gets FENCED_INSTANCE_ID (82); an instance id the group does not know gets
// UNKNOWN_MEMBER_ID (25); LeaveGroup with an empty member id removes the instance's member.
import { assertResponse, withBroker } from "./_golden.ts";
import { joinMemberId } from "./_groups.ts";
import { joinStable, subscription } from "./_members.ts";
import { initTxn } from "./_txn.ts";
import { arr, bytes, cstr, i16, i32, i64, request, str, type WireClient } from "./_wire.ts";
import { carr, cnstr, TAGS } from "./_flex.ts";

const GROUP = "static-g";
const TOPIC = "static-t";
const SUB = subscription([TOPIC]);

/** JoinGroup v5 body of a static member. */
const join = (memberId: string, instanceId: string) => [
  ...str(GROUP),
  ...i32(10_000),
  ...i32(15_000),
  ...str(memberId),
  ...str(instanceId),
  ...str("consumer"),
  ...arr([[...str("range"), ...bytes(SUB)]]),
];

/** A member that restarted: the old incarnation's id and the new one's. */
async function restarted(c: WireClient): Promise<{ old: string; now: string }> {
  await c.roundTrip(request(3, 1, 1, arr([str(TOPIC)])));
  const old = await joinStable(c, GROUP, SUB, { instanceId: "inst-1" });
  // The restart: no member id, same instance. Stable, so no rebalance: generation 1 stays, and
  // the answer names the old leader id, so the client does not assign again.
  const res = await c.roundTrip(request(11, 5, 2, join("", "inst-1")));
  const now = joinMemberId(5, res);
  assertResponse(res, 2, [
    ...i32(0),
    ...i16(0),
    ...i32(1),
    ...str("range"),
    ...str(old),
    ...str(now),
    ...arr([]),
  ]);
  return { old, now };
}

const hb = (gen: number, id: string, instance: string | null) => [
  ...str(GROUP),
  ...i32(gen),
  ...str(id),
  ...str(instance),
];

Deno.test("KIP-345 JoinGroup v5, Heartbeat v3, SyncGroup v3: the old member id is fenced", async () => {
  await withBroker(async (c) => {
    const { old, now } = await restarted(c);
    const ok = [...i32(0), ...i16(0)];
    assertResponse(await c.roundTrip(request(12, 3, 10, hb(1, old, "inst-1"))), 10, [
      ...i32(0),
      ...i16(82),
    ]);
    assertResponse(await c.roundTrip(request(12, 3, 11, hb(1, now, "inst-1"))), 11, ok);
    // An instance the group does not know, and v2 (no instance id: only the member id counts).
    assertResponse(await c.roundTrip(request(12, 3, 12, hb(1, now, "inst-9"))), 12, [
      ...i32(0),
      ...i16(25),
    ]);
    assertResponse(
      await c.roundTrip(request(12, 2, 13, [...str(GROUP), ...i32(1), ...str(old)])),
      13,
      [...i32(0), ...i16(25)],
    );
    const sync = (id: string) => [...hb(1, id, "inst-1"), ...arr([])];
    assertResponse(await c.roundTrip(request(14, 3, 14, sync(old))), 14, [
      ...i32(0),
      ...i16(82),
      ...bytes([]),
    ]);
    // The new incarnation gets the old one's assignment.
    assertResponse(await c.roundTrip(request(14, 3, 15, sync(now))), 15, [
      ...i32(0),
      ...i16(0),
      ...bytes([7]),
    ]);
    assertResponse(await c.roundTrip(request(11, 5, 16, join(old, "inst-1"))), 16, [
      ...i32(0),
      ...i16(82),
      ...i32(-1),
      ...str(""),
      ...str(""),
      ...str(old),
      ...arr([]),
    ]);
  });
});

Deno.test("KIP-345 OffsetCommit v7-v8 and TxnOffsetCommit v3: the old member id is fenced", async () => {
  await withBroker(async (c) => {
    const { old, now } = await restarted(c);
    const commit7 = (id: string) => [
      ...str(GROUP),
      ...i32(1),
      ...str(id),
      ...str("inst-1"),
      ...arr([[...str(TOPIC), ...arr([[...i32(0), ...i64(5), ...i32(-1), ...str("")]])]]),
    ];
    const answer7 = (code: number) => [
      ...i32(0),
      ...arr([[...str(TOPIC), ...arr([[...i32(0), ...i16(code)]])]]),
    ];
    assertResponse(await c.roundTrip(request(8, 7, 20, commit7(old))), 20, answer7(82));
    assertResponse(await c.roundTrip(request(8, 7, 21, commit7(now))), 21, answer7(0));
    const commit8 = [
      ...cstr(GROUP),
      ...i32(1),
      ...cstr(old),
      ...cnstr("inst-1"),
      ...carr([[...cstr(TOPIC), ...carr([[...i32(0), ...i64(6), ...i32(-1), ...cnstr("")]])]]),
      ...TAGS,
    ];
    assertResponse(
      await c.roundTrip(request(8, 8, 22, commit8, { flexible: true })),
      22,
      [...i32(0), ...carr([[...cstr(TOPIC), ...carr([[...i32(0), ...i16(82)]])]]), ...TAGS],
      TAGS,
    );
    const { pid, epoch } = await initTxn(c, "static-tx");
    await c.roundTrip(
      request(25, 1, 23, [...str("static-tx"), ...i64(pid), ...i16(epoch), ...str(GROUP)]),
    );
    const txnCommit = (id: string) => [
      ...cstr("static-tx"),
      ...cstr(GROUP),
      ...i64(pid),
      ...i16(epoch),
      ...i32(1),
      ...cstr(id),
      ...cnstr("inst-1"),
      ...carr([[...cstr(TOPIC), ...carr([[...i32(0), ...i64(7), ...i32(-1), ...cnstr("")]])]]),
      ...TAGS,
    ];
    const txnAnswer = (code: number) => [
      ...i32(0),
      ...carr([[...cstr(TOPIC), ...carr([[...i32(0), ...i16(code)]])]]),
      ...TAGS,
    ];
    let res = await c.roundTrip(request(28, 3, 24, txnCommit(old), { flexible: true }));
    assertResponse(res, 24, txnAnswer(82), TAGS);
    res = await c.roundTrip(request(28, 3, 25, txnCommit(now), { flexible: true }));
    assertResponse(res, 25, txnAnswer(0), TAGS);
  });
});

Deno.test("KIP-345 LeaveGroup v3: fenced, unknown instance, and removal by instance id", async () => {
  await withBroker(async (c) => {
    const { old, now } = await restarted(c);
    const leave = (members: [string, string | null][]) => [
      ...str(GROUP),
      ...arr(members.map(([m, i]) => [...str(m), ...str(i)])),
    ];
    const answer = (members: [string, string | null, number][]) => [
      ...i32(0),
      ...i16(0),
      ...arr(members.map(([m, i, code]) => [...str(m), ...str(i), ...i16(code)])),
    ];
    let res = await c.roundTrip(
      request(13, 3, 30, leave([[old, "inst-1"], [now, "inst-9"], ["", "inst-9"]])),
    );
    assertResponse(res, 30, answer([[old, "inst-1", 82], [now, "inst-9", 25], ["", "inst-9", 25]]));
    // Still a member: none of those left.
    assertResponse(await c.roundTrip(request(12, 3, 31, hb(1, now, "inst-1"))), 31, [
      ...i32(0),
      ...i16(0),
    ]);
    // An admin removes the instance: empty member id, the instance id.
    res = await c.roundTrip(request(13, 3, 32, leave([["", "inst-1"]])));
    assertResponse(res, 32, answer([["", "inst-1", 0]]));
    assertResponse(await c.roundTrip(request(12, 3, 33, hb(1, now, "inst-1"))), 33, [
      ...i32(0),
      ...i16(25),
    ]);
  });
});
