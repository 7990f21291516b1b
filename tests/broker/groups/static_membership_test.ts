// Static membership (KIP-345) in the group coordinator, rule by rule, as Kafka's
// GroupMetadataManager / ClassicGroup apply it: requests from a fenced incarnation, unknown
// instance ids, the restarted leader, session expiry and leave of a static member.
import assert from "node:assert/strict";
import type { GroupCoordinator, JoinResult } from "../../../lib/broker/groups/coordinator.ts";
import { meta, open, req, settled, withDir } from "./_coordinator.ts";

const FENCED = 82;
const UNKNOWN = 25;
const e = [{ topic: "t", partition: 0, offset: 5, metadata: null }];

/** A Stable generation of two static members: inst-1 leads (assignment L), inst-2 follows (F). */
async function twoStatic(c: GroupCoordinator) {
  const first = await c.join(req({ groupInstanceId: "inst-1" }));
  await c.sync("g", first.generationId, first.memberId, []);
  const b = c.join(req({ groupInstanceId: "inst-2" }));
  const a = c.join(req({ groupInstanceId: "inst-1", memberId: first.memberId }));
  const [leader, follower] = await Promise.all([a, b]);
  assert.equal(leader.leader, leader.memberId, "inst-1 stays the leader");
  const syncs = await Promise.all([
    c.sync("g", leader.generationId, leader.memberId, [
      { memberId: leader.memberId, assignment: meta("L") },
      { memberId: follower.memberId, assignment: meta("F") },
    ]),
    c.sync("g", follower.generationId, follower.memberId, []),
  ]);
  assert.deepEqual(syncs.map((s) => s.errorCode), [0, 0]);
  assert.equal(c.describe("g").state, "Stable");
  return { leader, follower, generation: leader.generationId };
}

/** inst-2 restarts: a join with no member id. Returns the new incarnation's answer. */
async function restartFollower(c: GroupCoordinator): Promise<JoinResult> {
  const back = await c.join(req({ groupInstanceId: "inst-2" }));
  assert.equal(back.errorCode, 0);
  return back;
}

Deno.test("KIP-345 Heartbeat: the old member id of a restarted static member is fenced", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const { follower, generation } = await twoStatic(c);
    const back = await restartFollower(c);
    assert.equal(c.heartbeat("g", generation, follower.memberId, "inst-2"), FENCED);
    assert.equal(c.heartbeat("g", generation, back.memberId, "inst-2"), 0);
    assert.equal(
      c.heartbeat("g", generation, back.memberId, "inst-9"),
      UNKNOWN,
      "unknown instance",
    );
    assert.equal(c.heartbeat("g", generation, follower.memberId), UNKNOWN, "v0-2: no instance");
    await c.close();
  });
});

Deno.test("KIP-345 SyncGroup and JoinGroup: the old member id is fenced, the new one synced", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const { follower, generation } = await twoStatic(c);
    const back = await restartFollower(c);
    const old = await c.sync("g", generation, follower.memberId, [], undefined, "inst-2");
    assert.equal(old.errorCode, FENCED);
    const now = await c.sync("g", generation, back.memberId, [], undefined, "inst-2");
    assert.deepEqual([now.errorCode, [...now.assignment]], [0, [...meta("F")]]);
    const rejoin = await c.join(req({ groupInstanceId: "inst-2", memberId: follower.memberId }));
    assert.equal(rejoin.errorCode, FENCED);
    assert.equal(c.describe("g").state, "Stable", "the zombie's requests change nothing");
    await c.close();
  });
});

Deno.test("KIP-345 OffsetCommit and TxnOffsetCommit: the old member id is fenced", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const { follower, generation } = await twoStatic(c);
    const back = await restartFollower(c);
    assert.deepEqual(await c.commitOffsets("g", generation, follower.memberId, e, "inst-2"), [
      FENCED,
    ]);
    assert.deepEqual(await c.commitOffsets("g", generation, back.memberId, e, "inst-2"), [0]);
    assert.deepEqual(await c.commitOffsets("g", generation, back.memberId, e, "inst-9"), [
      UNKNOWN,
    ]);
    assert.equal(c.validateTxnCommit("g", generation, follower.memberId, "inst-2"), FENCED);
    assert.equal(c.validateTxnCommit("g", generation, back.memberId, "inst-2"), 0);
    await c.close();
  });
});

Deno.test("KIP-345 LeaveGroup: fenced, unknown instance per member, removal by instance id", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const { leader, follower } = await twoStatic(c);
    const back = await restartFollower(c);
    assert.deepEqual(
      c.leave("g", [
        { memberId: follower.memberId, groupInstanceId: "inst-2" },
        { memberId: back.memberId, groupInstanceId: "inst-9" },
        { memberId: "", groupInstanceId: "inst-9" },
        { memberId: leader.memberId, groupInstanceId: "inst-2" },
      ]),
      [FENCED, UNKNOWN, UNKNOWN, FENCED],
    );
    assert.equal(c.describe("g").state, "Stable", "nobody left");
    // An admin removes inst-2 by instance id: the group rebalances without it.
    assert.deepEqual(c.leave("g", [{ memberId: "", groupInstanceId: "inst-2" }]), [0]);
    assert.equal(c.describe("g").state, "PreparingRebalance");
    assert.deepEqual(c.describe("g").members.map((m) => m.groupInstanceId), ["inst-1"]);
    await c.close();
  });
});

Deno.test("KIP-345: a restarted static leader keeps the generation; the answer names the old leader", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const { leader, follower, generation } = await twoStatic(c);
    const back = await c.join(req({ groupInstanceId: "inst-1" }));
    assert.equal(back.errorCode, 0);
    assert.equal(back.generationId, generation, "no rebalance");
    // Named as a follower: it syncs instead of assigning again, and gets its partitions.
    assert.equal(back.leader, leader.memberId);
    assert.deepEqual(back.members, []);
    const s = await c.sync("g", generation, back.memberId, []);
    assert.deepEqual([s.errorCode, [...s.assignment]], [0, [...meta("L")]]);
    assert.equal(c.heartbeat("g", generation, follower.memberId, "inst-2"), 0, "undisturbed");
    assert.equal(c.heartbeat("g", generation, leader.memberId, "inst-1"), FENCED);
    // It leads the next rebalance.
    c.leave("g", [{ memberId: follower.memberId, groupInstanceId: "inst-2" }]);
    const next = await c.join(req({ groupInstanceId: "inst-1", memberId: back.memberId }));
    assert.equal(next.leader, back.memberId);
    assert.equal(next.generationId, generation + 1);
    await c.close();
  });
});

Deno.test("KIP-345: a static restart that changes the group's selected protocol rebalances", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: meta(name) }));
    // inst-1 and inst-3 prefer range, inst-2 roundrobin: range wins 2 to 1.
    const first = await c.join(req({ groupInstanceId: "inst-1", protocols: p("range", "rr") }));
    await c.sync("g", first.generationId, first.memberId, []);
    // The newcomers first: they start the rebalance the leader's rejoin then completes.
    const two = c.join(req({ groupInstanceId: "inst-2", protocols: p("rr", "range") }));
    const three = c.join(req({ groupInstanceId: "inst-3", protocols: p("range", "rr") }));
    const one = c.join(
      req({ groupInstanceId: "inst-1", memberId: first.memberId, protocols: p("range", "rr") }),
    );
    const joins = await Promise.all([one, two, three]);
    assert.equal(joins[0].protocolName, "range");
    await Promise.all(joins.map((j) => c.sync("g", j.generationId, j.memberId, [])));
    assert.equal(c.describe("g").state, "Stable");
    // inst-3 restarts preferring roundrobin: it would now win 2 to 1, so the group rebalances.
    const back = c.join(req({ groupInstanceId: "inst-3", protocols: p("rr", "range") }));
    assert.equal(await settled(back), false);
    assert.equal(c.describe("g").state, "PreparingRebalance");
    const again = await Promise.all([
      c.join(
        req({
          groupInstanceId: "inst-1",
          memberId: joins[0].memberId,
          protocols: p("range", "rr"),
        }),
      ),
      c.join(
        req({
          groupInstanceId: "inst-2",
          memberId: joins[1].memberId,
          protocols: p("rr", "range"),
        }),
      ),
      back,
    ]);
    assert.deepEqual(again.map((j) => [j.errorCode, j.protocolName]), [
      [0, "rr"],
      [0, "rr"],
      [0, "rr"],
    ]);
    assert.equal(again[0].generationId, joins[0].generationId + 1);
    await c.close();
  });
});

Deno.test("KIP-345: a static restart while the group completes a rebalance starts another", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const first = await c.join(req({ groupInstanceId: "inst-1" }));
    await c.sync("g", first.generationId, first.memberId, []);
    const two = c.join(req({ groupInstanceId: "inst-2" }));
    const one = c.join(req({ groupInstanceId: "inst-1", memberId: first.memberId }));
    const [leader, follower] = await Promise.all([one, two]);
    // CompletingRebalance: the follower waits for the leader's assignment, which may name the
    // old member id; its restart must not be handed an assignment made for the old one.
    const parked = c.sync("g", follower.generationId, follower.memberId, [], undefined, "inst-2");
    assert.equal(c.describe("g").state, "CompletingRebalance");
    const back = c.join(req({ groupInstanceId: "inst-2" }));
    assert.equal((await parked).errorCode, FENCED, "the old incarnation's SyncGroup is fenced");
    assert.equal(c.describe("g").state, "PreparingRebalance");
    const next = await Promise.all([
      c.join(req({ groupInstanceId: "inst-1", memberId: leader.memberId })),
      back,
    ]);
    assert.deepEqual(next.map((j) => j.errorCode), [0, 0]);
    assert.equal(next[0].generationId, leader.generationId + 1);
    assert.deepEqual(
      next[0].members.map((m) => m.memberId).sort(),
      [
        leader.memberId,
        next[1].memberId,
      ].sort(),
    );
    await c.close();
  });
});

Deno.test("KIP-345: a static member whose session expires is removed and the group rebalances", async () => {
  await withDir(async (dir) => {
    const { c, timers } = await open(dir);
    const { leader, generation } = await twoStatic(c);
    // Only the leader heartbeats; inst-2 stays silent past its 10 s session.
    for (let t = 0; t < 12; t++) {
      timers.advance(1000);
      if (c.describe("g").state === "Stable") {
        assert.equal(c.heartbeat("g", generation, leader.memberId, "inst-1"), 0);
      }
    }
    assert.equal(c.describe("g").state, "PreparingRebalance");
    assert.deepEqual(c.describe("g").members.map((m) => m.groupInstanceId), ["inst-1"]);
    const next = await c.join(req({ groupInstanceId: "inst-1", memberId: leader.memberId }));
    assert.equal(next.generationId, generation + 1);
    assert.deepEqual(next.members.map((m) => m.groupInstanceId), ["inst-1"]);
    // inst-2 coming back later is a new member: it joins through a rebalance.
    const late = c.join(req({ groupInstanceId: "inst-2" }));
    assert.equal(await settled(late), false);
    await c.close();
  });
});

Deno.test("KIP-345: a static member's LeaveGroup triggers a rebalance", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const { leader, follower, generation } = await twoStatic(c);
    assert.deepEqual(c.leave("g", [{ memberId: follower.memberId, groupInstanceId: "inst-2" }]), [
      0,
    ]);
    assert.equal(c.describe("g").state, "PreparingRebalance");
    const next = await c.join(req({ groupInstanceId: "inst-1", memberId: leader.memberId }));
    assert.equal(next.generationId, generation + 1);
    await c.close();
  });
});
