import assert from "node:assert/strict";
import { GroupCoordinator } from "../../../lib/broker/groups/coordinator.ts";
import { ManualTimers } from "../../../lib/broker/groups/timers.ts";
import { Logger } from "../../../lib/util/log.ts";
import { mulberry32 as rng } from "../../../lib/util/prng.ts";

const PARTITIONS = 12;
const SESSION = 3000;
const HEARTBEAT = 500;

const enc = (ps: number[]) => new TextEncoder().encode(ps.join(","));
const dec = (b: Uint8Array) => {
  const s = new TextDecoder().decode(b);
  return s === "" ? [] : s.split(",").map(Number);
};

/** A well-behaved simulated consumer, as kafkajs/librdkafka drive the protocol. */
class Client {
  memberId = "";
  generation = -1;
  busy = false;
  alive = true;
  stable = false;
  partitions: number[] = [];
  nextHeartbeat = 0;
  constructor(readonly name: string, readonly c: GroupCoordinator, readonly timers: ManualTimers) {}

  async rejoin(): Promise<void> {
    this.busy = true;
    this.stable = false;
    for (;;) {
      const j = await this.c.join({
        groupId: "churn",
        memberId: this.memberId,
        groupInstanceId: null,
        clientId: this.name,
        clientHost: "/127.0.0.1",
        sessionTimeoutMs: SESSION,
        rebalanceTimeoutMs: 4000,
        protocolType: "consumer",
        protocols: [{ name: "rr", metadata: new Uint8Array(0) }],
        requireKnownMemberId: true,
      });
      if (!this.alive) return;
      if (j.errorCode === 79) {
        this.memberId = j.memberId;
        continue;
      }
      if (j.errorCode === 25) {
        this.memberId = "";
        continue;
      }
      if (j.errorCode === 27) continue;
      assert.equal(j.errorCode, 0, `${this.name} join`);
      this.memberId = j.memberId;
      this.generation = j.generationId;
      let assignments: { memberId: string; assignment: Uint8Array }[] = [];
      if (j.leader === j.memberId) {
        const ids = j.members.map((m) => m.memberId);
        assignments = ids.map((id, i) => ({
          memberId: id,
          assignment: enc([...Array(PARTITIONS).keys()].filter((p) => p % ids.length === i)),
        }));
      }
      const s = await this.c.sync("churn", j.generationId, j.memberId, assignments);
      if (!this.alive) return;
      if (s.errorCode === 25) this.memberId = "";
      if (s.errorCode !== 0) continue;
      this.partitions = dec(s.assignment);
      this.stable = true;
      this.busy = false;
      this.nextHeartbeat = this.timers.now() + HEARTBEAT;
      return;
    }
  }

  tick(): void {
    if (!this.alive || this.busy || this.timers.now() < this.nextHeartbeat) return;
    this.nextHeartbeat = this.timers.now() + HEARTBEAT;
    const code = this.c.heartbeat("churn", this.generation, this.memberId);
    if (code === 25) this.memberId = "";
    if (code !== 0) this.rejoin();
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0));

for (const seed of [1, 2, 3, 4, 5]) {
  Deno.test(`group churn (seed ${seed}): joins, leaves and crashes converge to one stable generation`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "sa-churn-" });
    const timers = new ManualTimers();
    const c = await GroupCoordinator.open({
      dataDir: dir,
      logger: new Logger("t", "SILENT"),
      timers,
    });
    const random = rng(seed);
    const clients: Client[] = [];
    try {
      const add = () => {
        const cl = new Client(`c${clients.length}`, c, timers);
        clients.push(cl);
        cl.rejoin();
      };
      add();
      for (let step = 0; step < 400; step++) {
        const r = random();
        const live = clients.filter((x) => x.alive);
        if (r < 0.04 || live.length === 0) add();
        else if (r < 0.06 && live.length > 1) {
          const victim = live[Math.floor(random() * live.length)];
          victim.alive = false; // crash: silent until its session times out
        } else if (r < 0.08 && live.length > 1) {
          const leaver = live[Math.floor(random() * live.length)];
          leaver.alive = false;
          if (leaver.memberId) c.leave("churn", [leaver.memberId]);
        }
        timers.advance(Math.floor(random() * 300));
        for (const cl of clients) cl.tick();
        await flush();
      }
      // Quiet period: no more churn; everyone alive must settle on one generation.
      for (let i = 0; i < 200; i++) {
        timers.advance(100);
        for (const cl of clients) cl.tick();
        await flush();
      }
      const live = clients.filter((x) => x.alive);
      const d = c.describe("churn");
      assert.equal(d.state, "Stable", `seed ${seed}`);
      assert.deepEqual(
        d.members.map((m) => m.memberId).sort(),
        live.map((x) => x.memberId).sort(),
        "exactly the live clients are members",
      );
      assert.ok(live.every((x) => x.stable && x.generation === live[0].generation));
      const owned = live.flatMap((x) => x.partitions).sort((a, b) => a - b);
      assert.deepEqual(owned, [...Array(PARTITIONS).keys()], "every partition owned exactly once");
    } finally {
      for (const cl of clients) cl.alive = false;
      await c.close();
      await flush();
      await Deno.remove(dir, { recursive: true });
    }
    assert.equal(timers.pending, 0);
  });
}
