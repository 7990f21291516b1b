import assert from "node:assert/strict";
import { GroupCoordinator } from "../../../lib/broker/groups/coordinator.ts";
import { ManualTimers } from "../../../lib/broker/groups/timers.ts";
import { Logger } from "../../../lib/util/log.ts";
import { meta, open, req, settled, withDir } from "./_coordinator.ts";

/** Joins one member and syncs it, returning its id and generation. */
async function stableSingle(c: GroupCoordinator) {
  const j = await c.join(req());
  assert.deepEqual(j.errorCode, 0);
  const s = await c.sync("g", j.generationId, j.memberId, [
    { memberId: j.memberId, assignment: meta("all") },
  ]);
  assert.deepEqual(s.errorCode, 0);
  return j;
}

Deno.test("JoinGroup v4+: MEMBER_ID_REQUIRED, then the rejoin with that id completes", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const first = await c.join(req({ requireKnownMemberId: true }));
    assert.deepEqual(first.errorCode, 79);
    assert.ok(first.memberId.startsWith("client-"));
    assert.deepEqual(c.describe("g").state, "Empty");
    const second = await c.join(req({ requireKnownMemberId: true, memberId: first.memberId }));
    assert.deepEqual(second.errorCode, 0);
    assert.deepEqual(second.generationId, 1);
    assert.deepEqual(second.leader, first.memberId);
    assert.deepEqual(second.protocolName, "range");
    assert.deepEqual(second.members.map((m) => m.memberId), [first.memberId]);
    assert.deepEqual(c.describe("g").state, "CompletingRebalance");
    await c.close();
  });
});

Deno.test("JoinGroup validation: empty group id, session timeout, unknown member, protocol", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    assert.deepEqual((await c.join(req({ groupId: "" }))).errorCode, 24);
    assert.deepEqual((await c.join(req({ sessionTimeoutMs: 10 }))).errorCode, 26);
    assert.deepEqual((await c.join(req({ memberId: "nobody" }))).errorCode, 25);
    await stableSingle(c);
    const other = await c.join(req({ protocols: [{ name: "sticky", metadata: meta("") }] }));
    assert.deepEqual(other.errorCode, 23);
    assert.deepEqual((await c.join(req({ protocolType: "connect" }))).errorCode, 23);
    await c.close();
  });
});

Deno.test("second member triggers a rebalance; leader gets members, followers wait in SyncGroup", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const a = await stableSingle(c);
    assert.deepEqual(c.describe("g").state, "Stable");
    assert.deepEqual(c.heartbeat("g", a.generationId, a.memberId), 0);

    const bJoin = c.join(req({ clientId: "b" }));
    assert.deepEqual(await settled(bJoin), false, "B waits until A rejoins");
    assert.deepEqual(c.describe("g").state, "PreparingRebalance");
    assert.deepEqual(c.heartbeat("g", a.generationId, a.memberId), 27);
    const aJoin = await c.join(req({ memberId: a.memberId }));
    const b = await bJoin;
    assert.deepEqual([aJoin.errorCode, b.errorCode], [0, 0]);
    assert.deepEqual(aJoin.generationId, 2);
    assert.deepEqual(b.generationId, 2);
    assert.deepEqual(aJoin.leader, a.memberId, "the leader keeps leadership");
    assert.deepEqual(aJoin.members.length, 2);
    assert.deepEqual(b.members, []);
    assert.deepEqual(
      c.heartbeat("g", 2, b.memberId),
      0,
      "heartbeat in CompletingRebalance is fine",
    );
    assert.deepEqual(c.heartbeat("g", 1, b.memberId), 22);

    const bSync = c.sync("g", 2, b.memberId, []);
    assert.deepEqual(await settled(bSync), false, "follower waits for the leader");
    assert.deepEqual((await c.sync("g", 1, a.memberId, [])).errorCode, 22);
    const aSync = await c.sync("g", 2, a.memberId, [
      { memberId: a.memberId, assignment: meta("p0") },
      { memberId: b.memberId, assignment: meta("p1") },
    ]);
    assert.deepEqual(new TextDecoder().decode(aSync.assignment), "p0");
    assert.deepEqual(new TextDecoder().decode((await bSync).assignment), "p1");
    const d = c.describe("g");
    assert.deepEqual(d.state, "Stable");
    assert.deepEqual(d.protocolName, "range");
    assert.deepEqual(d.members.length, 2);
    assert.deepEqual(new TextDecoder().decode(d.members[1].assignment), "p1");
    // A follower rejoining with unchanged metadata gets the current generation, no rebalance.
    const again = await c.join(req({ clientId: "b", memberId: b.memberId }));
    assert.deepEqual(again.generationId, 2);
    assert.deepEqual(c.describe("g").state, "Stable");
    await c.close();
  });
});

Deno.test("a member whose session times out is evicted and the group rebalances", async () => {
  await withDir(async (dir) => {
    const { c, timers } = await open(dir);
    const a = await stableSingle(c);
    const bJoin = c.join(req({ clientId: "b", sessionTimeoutMs: 3000 }));
    await c.join(req({ memberId: a.memberId }));
    const b = await bJoin;
    const bSync = c.sync("g", 2, b.memberId, []);
    await c.sync("g", 2, a.memberId, [{ memberId: b.memberId, assignment: meta("x") }]);
    await bSync;
    // A keeps heartbeating, B goes silent.
    for (let t = 0; t < 2; t++) {
      timers.advance(1000);
      assert.deepEqual(c.heartbeat("g", 2, a.memberId), 0);
    }
    assert.deepEqual(c.describe("g").state, "Stable");
    timers.advance(1000);
    assert.deepEqual(c.describe("g").state, "PreparingRebalance");
    assert.deepEqual(c.heartbeat("g", 2, b.memberId), 25, "evicted member is unknown");
    assert.deepEqual(c.heartbeat("g", 2, a.memberId), 27);
    const re = await c.join(req({ memberId: a.memberId }));
    assert.deepEqual(re.generationId, 3);
    assert.deepEqual(re.members.map((m) => m.memberId), [a.memberId]);
    await c.close();
    assert.deepEqual(timers.pending, 0, "close clears every timer");
  });
});

Deno.test("members that do not rejoin within the rebalance timeout are removed", async () => {
  await withDir(async (dir) => {
    const { c, timers } = await open(dir);
    const aj = await c.join(req({ sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 5000 }));
    await c.sync("g", aj.generationId, aj.memberId, []);
    const a = aj;
    const bJoin = c.join(req({ clientId: "b", rebalanceTimeoutMs: 5000 }));
    // A never rejoins; its session (30 s) outlasts the rebalance timeout (5 s).
    timers.advance(4_999);
    assert.deepEqual(await settled(bJoin), false);
    timers.advance(1);
    const b = await bJoin;
    assert.deepEqual(b.errorCode, 0);
    assert.deepEqual(b.leader, b.memberId);
    assert.deepEqual(b.members.length, 1);
    assert.deepEqual(c.heartbeat("g", b.generationId, a.memberId), 25);
    await c.close();
  });
});

Deno.test("a member that never sends SyncGroup is removed after the rebalance timeout", async () => {
  await withDir(async (dir) => {
    const { c, timers } = await open(dir);
    const a = await stableSingle(c);
    const bJoin = c.join(req({ clientId: "b" }));
    await c.join(req({ memberId: a.memberId }));
    await bJoin;
    await c.sync("g", 2, a.memberId, []);
    assert.deepEqual(c.describe("g").state, "Stable");
    for (let t = 0; t < 20; t++) {
      timers.advance(1000);
      c.heartbeat("g", 2, a.memberId);
    }
    assert.deepEqual(c.describe("g").members.length, 1);
    assert.deepEqual(c.describe("g").state, "PreparingRebalance");
    await c.close();
  });
});

Deno.test("LeaveGroup removes members, rebalances, reports unknown ones", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const a = await stableSingle(c);
    assert.deepEqual(c.leave("g", ["ghost", a.memberId]), [25, 0]);
    assert.deepEqual(c.describe("g").state, "Empty");
    assert.deepEqual(c.leave("nope", ["x"]), [25]);
    // Leave during a rebalance completes it for the remaining members.
    const x = await stableSingle(c);
    const yJoin = c.join(req({ clientId: "y" }));
    assert.deepEqual(c.leave("g", [x.memberId]), [0]);
    const y = await yJoin;
    assert.deepEqual(y.errorCode, 0);
    assert.deepEqual(y.members.map((m) => m.memberId), [y.memberId]);
    await c.close();
  });
});

Deno.test("protocol selection: the protocol most members prefer among the common ones", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: meta(name) }));
    const a = await c.join(req({ protocols: p("range", "roundrobin") }));
    await c.sync("g", a.generationId, a.memberId, []);
    const b = c.join(req({ protocols: p("roundrobin", "range") }));
    const cc = c.join(req({ protocols: p("roundrobin") }));
    const a2 = await c.join(req({ memberId: a.memberId, protocols: p("range", "roundrobin") }));
    await b;
    await cc;
    assert.deepEqual(a2.protocolName, "roundrobin");
    assert.deepEqual(new TextDecoder().decode(a2.members[0].metadata), "roundrobin");
    await c.close();
  });
});

Deno.test("OffsetCommit validation follows Kafka's rules", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const e = [{ topic: "t", partition: 0, offset: 5, metadata: null }];
    assert.deepEqual(await c.commitOffsets("", -1, "", e), [24]);
    assert.deepEqual(await c.commitOffsets("g", 3, "m", e), [22], "generation on a missing group");
    assert.deepEqual(await c.commitOffsets("g", -1, "", e), [0], "simple consumer commit");
    assert.deepEqual(c.describe("g").state, "Empty");
    const j = await c.join(req());
    assert.deepEqual(await c.commitOffsets("g", j.generationId, j.memberId, e), [27]);
    await c.sync("g", j.generationId, j.memberId, []);
    assert.deepEqual(await c.commitOffsets("g", -1, "", e), [25]);
    assert.deepEqual(await c.commitOffsets("g", j.generationId + 1, j.memberId, e), [22]);
    const big = "x".repeat(5000);
    assert.deepEqual(
      await c.commitOffsets("g", j.generationId, j.memberId, [
        { topic: "t", partition: 1, offset: 7, metadata: "hello" },
        { topic: "t", partition: 2, offset: 9, metadata: big },
      ]),
      [0, 12],
    );
    assert.deepEqual(
      c.fetchOffsets("g", [{ topic: "t", partition: 1 }, { topic: "t", partition: 2 }]),
      [
        { topic: "t", partition: 1, offset: 7, metadata: "hello", leaderEpoch: -1 },
        { topic: "t", partition: 2, offset: -1, metadata: "", leaderEpoch: -1 },
      ],
    );
    await c.close();
  });
});

Deno.test("committed offsets survive a restart; deletion is durable too", async () => {
  await withDir(async (dir) => {
    let { c } = await open(dir);
    await stableSingle(c);
    c.leave("g", [c.describe("g").members[0].memberId]);
    await c.commitOffsets("g", -1, "", [
      { topic: "a", partition: 0, offset: 10, metadata: "m0" },
      { topic: "a", partition: 1, offset: 11, metadata: null },
    ]);
    // The committed leader epoch is journaled with the offset.
    await c.commitOffsets("g", -1, "", [
      { topic: "a", partition: 0, offset: 12, metadata: "m1", leaderEpoch: 3 },
    ]);
    await c.commitOffsets("h", -1, "", [{ topic: "b", partition: 0, offset: 1, metadata: null }]);
    await c.close();

    ({ c } = await open(dir));
    assert.deepEqual(c.fetchOffsets("g", null).sort((x, y) => x.partition - y.partition), [
      { topic: "a", partition: 0, offset: 12, metadata: "m1", leaderEpoch: 3 },
      { topic: "a", partition: 1, offset: 11, metadata: "", leaderEpoch: -1 },
    ]);
    assert.deepEqual(c.describe("g").state, "Empty");
    assert.deepEqual(c.describe("g").protocolType, "consumer");
    assert.deepEqual(c.list().map((g) => g.groupId).sort(), ["g", "h"]);
    assert.deepEqual(await c.deleteGroup("g"), 0);
    assert.deepEqual(await c.deleteGroup("g"), 69);
    await c.close();

    ({ c } = await open(dir));
    assert.deepEqual(c.list().map((g) => g.groupId), ["h"]);
    assert.deepEqual(c.fetchOffsets("g", [{ topic: "a", partition: 0 }])[0].offset, -1);
    assert.deepEqual(c.describe("g").state, "Dead");
    await c.close();
  });
});

Deno.test("DeleteGroups refuses a group with members", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    await stableSingle(c);
    assert.deepEqual(await c.deleteGroup("g"), 68);
    assert.deepEqual(await c.deleteGroup(""), 24);
    await c.close();
  });
});

Deno.test("a torn offset journal tail is truncated on open", async () => {
  await withDir(async (dir) => {
    let { c } = await open(dir);
    await c.commitOffsets("g", -1, "", [{ topic: "a", partition: 0, offset: 3, metadata: null }]);
    await c.close();
    const path = `${dir}/__groups/offsets.jsonl`;
    const good = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, good + '{"g":"g","t":"a","p":0,"o":9');
    const lines: string[] = [];
    const logger = new Logger("test", "INFO", (l) => lines.push(l));
    c = await GroupCoordinator.open({ dataDir: dir, logger, timers: new ManualTimers() });
    assert.deepEqual(c.fetchOffsets("g", [{ topic: "a", partition: 0 }])[0].offset, 3);
    assert.ok(
      lines.some((l) => l.includes("torn record") && l.includes("offsets.jsonl:2")),
      lines.join("\n"),
    );
    assert.deepEqual(await Deno.readTextFile(path), good);
    await c.commitOffsets("g", -1, "", [{ topic: "a", partition: 0, offset: 4, metadata: null }]);
    await c.close();
    ({ c } = await open(dir));
    assert.deepEqual(c.fetchOffsets("g", [{ topic: "a", partition: 0 }])[0].offset, 4);
    await c.close();
  });
});

Deno.test("transactional offsets stay invisible until applied, and can be dropped", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const e = [{ topic: "t", partition: 0, offset: 42, metadata: null }];
    assert.deepEqual(c.stageTxnOffsets("g", 7, e), [0]);
    assert.deepEqual(c.fetchOffsets("g", [{ topic: "t", partition: 0 }])[0].offset, -1);
    const taken = c.takeTxnOffsets("g", 7);
    assert.deepEqual(taken, e);
    await c.applyTxnOffsets("g", taken);
    assert.deepEqual(c.fetchOffsets("g", [{ topic: "t", partition: 0 }])[0].offset, 42);
    c.stageTxnOffsets("g", 8, [{ topic: "t", partition: 0, offset: 99, metadata: null }]);
    assert.deepEqual(c.takeTxnOffsets("g", 8).length, 1);
    assert.deepEqual(c.takeTxnOffsets("g", 8), []);
    assert.deepEqual(c.fetchOffsets("g", [{ topic: "t", partition: 0 }])[0].offset, 42);
    await c.close();
  });
});

Deno.test("parked JoinGroup and SyncGroup end with COORDINATOR_NOT_AVAILABLE on shutdown", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const a = await stableSingle(c);
    const closing = new AbortController();
    const bJoin = c.join(req({ clientId: "b" }), closing.signal);
    assert.equal(await settled(bJoin), false);
    const aJoin = await c.join(req({ memberId: a.memberId }));
    await bJoin;
    const bSync = c.sync("g", aJoin.generationId, (await bJoin).memberId, [], closing.signal);
    assert.equal(await settled(bSync), false);
    closing.abort();
    assert.equal((await bSync).errorCode, 15);
    assert.equal((await c.join(req(), closing.signal)).errorCode, 15);
    await c.close();
  });
});

Deno.test("a restarted static member replaces its old incarnation without waiting for its session", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const old = await c.join(req({ groupInstanceId: "inst-1", requireKnownMemberId: true }));
    assert.equal(old.errorCode, 0, "static members skip MEMBER_ID_REQUIRED");
    await c.sync("g", old.generationId, old.memberId, []);
    // inst-2 joining starts a rebalance that would wait for inst-1's old member id...
    const other = c.join(req({ groupInstanceId: "inst-2" }));
    assert.equal(await settled(other), false);
    // ...until inst-1 comes back under a new member id and replaces it.
    const fresh = await c.join(req({ groupInstanceId: "inst-1" }));
    assert.equal(fresh.errorCode, 0);
    const o = await other;
    assert.equal(o.errorCode, 0);
    assert.notEqual(fresh.memberId, old.memberId);
    const leader = o.leader === o.memberId ? o : fresh;
    assert.equal(leader.members.length, 2, "old incarnation gone, nothing waited for it");
    assert.deepEqual(
      leader.members.map((m) => m.groupInstanceId).sort(),
      ["inst-1", "inst-2"],
    );
    assert.equal(c.heartbeat("g", fresh.generationId, old.memberId), 25);
    await c.close();
  });
});

Deno.test("KIP-345: a restarted static follower gets its assignment back, no rebalance", async () => {
  await withDir(async (dir) => {
    const { c } = await open(dir);
    const first = await c.join(req({ groupInstanceId: "inst-1" }));
    await c.sync("g", first.generationId, first.memberId, []);
    // inst-2 joins: a rebalance, which inst-1 joins again with its member id.
    const b = c.join(req({ groupInstanceId: "inst-2" }));
    const a = c.join(req({ groupInstanceId: "inst-1", memberId: first.memberId }));
    const [ja, jb] = await Promise.all([a, b]);
    const leader = ja.leader === ja.memberId ? ja : jb;
    const follower = leader === ja ? jb : ja;
    const followerInstance = leader === ja ? "inst-2" : "inst-1";
    const assignments = [
      { memberId: leader.memberId, assignment: meta("L") },
      { memberId: follower.memberId, assignment: meta("F") },
    ];
    const syncs = await Promise.all([
      c.sync("g", leader.generationId, leader.memberId, assignments),
      c.sync("g", follower.generationId, follower.memberId, []),
    ]);
    assert.deepEqual(syncs.map((r) => r.errorCode), [0, 0]);
    // The follower restarts (no LeaveGroup, as static members do) and joins again at once.
    const back = await c.join(req({ groupInstanceId: followerInstance }));
    assert.equal(back.errorCode, 0);
    assert.equal(back.generationId, leader.generationId, "same generation: no rebalance");
    assert.notEqual(back.memberId, follower.memberId);
    const s = await c.sync("g", back.generationId, back.memberId, []);
    assert.deepEqual([s.errorCode, [...s.assignment]], [0, [...meta("F")]]);
    assert.equal(c.describe("g").state, "Stable");
    assert.equal(c.heartbeat("g", leader.generationId, leader.memberId), 0, "leader undisturbed");
    assert.equal(c.heartbeat("g", follower.generationId, follower.memberId), 25, "old id fenced");
    await c.close();
  });
});

Deno.test("a well-formed but invalid offsets record is skipped with its line number", async () => {
  await withDir(async (dir) => {
    await Deno.mkdir(`${dir}/__groups`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/__groups/offsets.jsonl`,
      [
        '{"g":"g","t":"a","p":0,"o":5,"m":"","ts":1}',
        '{"g":"g","t":"a","p":"zero","o":6,"m":"","ts":1}',
        '{"g":"g","t":"a","p":1,"o":7,"m":"","ts":1}',
        "",
      ].join("\n"),
    );
    const lines: string[] = [];
    const logger = new Logger("test", "INFO", (l) => lines.push(l));
    const c = await GroupCoordinator.open({ dataDir: dir, logger, timers: new ManualTimers() });
    assert.deepEqual(
      c.fetchOffsets("g", [{ topic: "a", partition: 0 }, { topic: "a", partition: 1 }]).map((o) =>
        o.offset
      ),
      [5, 7],
    );
    assert.ok(lines.some((l) => l.includes("offsets.jsonl:2:") && l.includes("skipped")));
    await c.close();
  });
});
