import assert from "node:assert/strict";
import { GroupCoordinator } from "../../../lib/broker/groups/coordinator.ts";
import { ManualTimers } from "../../../lib/broker/groups/timers.ts";
import {
  TransactionCoordinator,
  type TxnLogs,
  type TxnPartitionLog,
} from "../../../lib/broker/txn/coordinator.ts";
import { Logger } from "../../../lib/util/log.ts";

const quiet = new Logger("test", "SILENT");

/** A partition log stand-in: records markers and which producers have data in flight. */
class FakePartition implements TxnPartitionLog {
  ongoing = new Set<number>();
  markers: { pid: number; epoch: number; commit: boolean }[] = [];
  appendControl(producerId: number, producerEpoch: number, commit: boolean): number {
    assert.ok(this.ongoing.has(producerId), "marker only for an open transaction");
    this.ongoing.delete(producerId);
    this.markers.push({ pid: producerId, epoch: producerEpoch, commit });
    return this.markers.length;
  }
  hasOngoingTxn(producerId: number): boolean {
    return this.ongoing.has(producerId);
  }
}

class FakeLogs implements TxnLogs {
  parts = new Map<string, FakePartition>();
  constructor(topic: string, n: number) {
    for (let i = 0; i < n; i++) this.parts.set(`${topic}/${i}`, new FakePartition());
  }
  partition(topic: string, index: number): FakePartition | undefined {
    return this.parts.get(`${topic}/${index}`);
  }
}

interface Env {
  dir: string;
  logs: FakeLogs;
  timers: ManualTimers;
  groups: GroupCoordinator;
  txns: TransactionCoordinator;
}

async function start(dir: string, logs = new FakeLogs("t", 2), timers = new ManualTimers()) {
  const groups = await GroupCoordinator.open({ dataDir: dir, logger: quiet, timers });
  const txns = await TransactionCoordinator.open({
    dataDir: dir,
    logs,
    groups,
    logger: quiet,
    timers,
  });
  return { dir, logs, timers, groups, txns };
}
async function stop(env: Env) {
  await env.txns.close();
  await env.groups.close();
}

async function withEnv(fn: (env: Env) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "sa-txn-" });
  const env = await start(dir);
  try {
    await fn(env);
  } finally {
    await stop(env);
    await Deno.remove(dir, { recursive: true });
  }
}

const at = (topic: string, partition: number) => [{ topic, partition }];

Deno.test("idempotent producers get distinct ids that are never reused after a restart", async () => {
  await withEnv(async (env) => {
    const a = await env.txns.initProducerId(null, 0);
    const b = await env.txns.initProducerId(null, 0);
    assert.deepEqual([a.errorCode, a.producerEpoch, b.errorCode], [0, 0, 0]);
    assert.notEqual(a.producerId, b.producerId);
    await stop(env);
    const again = await start(env.dir);
    const c = await again.txns.initProducerId(null, 0);
    assert.ok(c.producerId > Math.max(a.producerId, b.producerId));
    Object.assign(env, again);
  });
});

Deno.test("InitProducerId: timeouts are validated; re-init bumps the epoch (also after restart)", async () => {
  await withEnv(async (env) => {
    assert.equal((await env.txns.initProducerId("tx", 0)).errorCode, 50);
    assert.equal((await env.txns.initProducerId("tx", 900_001)).errorCode, 50);
    const first = await env.txns.initProducerId("tx", 60_000);
    assert.deepEqual([first.errorCode, first.producerEpoch], [0, 0]);
    const second = await env.txns.initProducerId("tx", 60_000);
    assert.deepEqual([second.producerId, second.producerEpoch], [first.producerId, 1]);
    // The fenced producer's calls fail.
    const r = await env.txns.addPartitions("tx", first.producerId, 0, [{
      topic: "t",
      partitions: [0],
    }]);
    assert.equal(r[0].errorCode, 47);
    await stop(env);
    Object.assign(env, await start(env.dir));
    const third = await env.txns.initProducerId("tx", 60_000);
    assert.deepEqual([third.producerId, third.producerEpoch], [first.producerId, 2]);
  });
});

Deno.test("commit: markers on the partitions written to, staged offsets become visible", async () => {
  await withEnv(async ({ txns, groups, logs }) => {
    const { producerId: pid, producerEpoch: ep } = await txns.initProducerId("tx", 60_000);
    assert.equal(txns.isPartitionInTxn("tx", pid, "t", 0), false);
    const added = await txns.addPartitions("tx", pid, ep, [{ topic: "t", partitions: [0, 1] }]);
    assert.deepEqual(added.map((p) => p.errorCode), [0, 0]);
    assert.equal(txns.isPartitionInTxn("tx", pid, "t", 0), true);
    assert.equal(txns.isPartitionInTxn("tx", pid + 1, "t", 0), false);
    assert.equal(txns.isPartitionInTxn("tx", pid, "t", 0, ep), true);
    assert.equal(txns.isPartitionInTxn("tx", pid, "t", 0, ep - 1), false, "stale epoch");
    logs.partition("t", 0)!.ongoing.add(pid); // the producer wrote to t/0 only
    assert.equal(await txns.addOffsets("tx", pid, ep, "g"), 0);
    const entry = { topic: "in", partition: 0, offset: 17, metadata: null };
    assert.deepEqual(txns.txnOffsetCommit("tx", "g", pid, ep, [entry]), [0]);
    assert.equal(groups.fetchOffsets("g", at("in", 0))[0].offset, -1, "invisible before EndTxn");
    assert.equal(await txns.endTxn("tx", pid, ep, true), 0);
    assert.deepEqual(logs.partition("t", 0)!.markers, [{ pid, epoch: ep, commit: true }]);
    assert.deepEqual(logs.partition("t", 1)!.markers, []);
    assert.equal(groups.fetchOffsets("g", at("in", 0))[0].offset, 17);
    assert.equal(txns.describe("tx")?.state, "CompleteCommit");
    assert.equal(txns.isPartitionInTxn("tx", pid, "t", 0), false);
    assert.equal(await txns.endTxn("tx", pid, ep, true), 0, "retried commit");
    assert.equal(await txns.endTxn("tx", pid, ep, false), 48);
  });
});

Deno.test("InitProducerId while the commit is being journaled waits (CONCURRENT_TRANSACTIONS); offsets stay unstable until applied", async () => {
  await withEnv(async ({ txns, groups, logs }) => {
    const { producerId: pid, producerEpoch: ep } = await txns.initProducerId("tx", 60_000);
    await txns.addPartitions("tx", pid, ep, [{ topic: "t", partitions: [0] }]);
    logs.partition("t", 0)!.ongoing.add(pid);
    await txns.addOffsets("tx", pid, ep, "g");
    txns.txnOffsetCommit("tx", "g", pid, ep, [{
      topic: "in",
      partition: 0,
      offset: 17,
      metadata: null,
    }]);
    // The commit's Prepare record is being written when the next owner of the transactional
    // id calls InitProducerId: it must wait, not abort a transaction that is committing.
    const ending = txns.endTxn("tx", pid, ep, true);
    const stable = groups.fetchOffsets("g", at("in", 0), true)[0];
    const init = await txns.initProducerId("tx", 60_000);
    assert.equal(await ending, 0);
    assert.equal(init.errorCode, 51, "CONCURRENT_TRANSACTIONS while the commit is in flight");
    assert.equal(stable.unstable, true, "require_stable: unstable while the commit is in flight");
    assert.deepEqual(logs.partition("t", 0)!.markers, [{ pid, epoch: ep, commit: true }]);
    assert.equal(groups.fetchOffsets("g", at("in", 0), true)[0].offset, 17);
    const again = await txns.initProducerId("tx", 60_000);
    assert.deepEqual([again.errorCode, again.producerEpoch], [0, ep + 1]);
  });
});

Deno.test("abort: abort markers, staged offsets dropped", async () => {
  await withEnv(async ({ txns, groups, logs }) => {
    const { producerId: pid, producerEpoch: ep } = await txns.initProducerId("tx", 60_000);
    await txns.addPartitions("tx", pid, ep, [{ topic: "t", partitions: [1] }]);
    logs.partition("t", 1)!.ongoing.add(pid);
    await txns.addOffsets("tx", pid, ep, "g");
    txns.txnOffsetCommit("tx", "g", pid, ep, [{
      topic: "in",
      partition: 0,
      offset: 5,
      metadata: "",
    }]);
    assert.equal(await txns.endTxn("tx", pid, ep, false), 0);
    assert.deepEqual(logs.partition("t", 1)!.markers, [{ pid, epoch: ep, commit: false }]);
    assert.equal(groups.fetchOffsets("g", at("in", 0))[0].offset, -1);
    // A new transaction on the same id works, and its offsets are independent.
    await txns.addOffsets("tx", pid, ep, "g");
    txns.txnOffsetCommit("tx", "g", pid, ep, [{
      topic: "in",
      partition: 0,
      offset: 6,
      metadata: "",
    }]);
    assert.equal(await txns.endTxn("tx", pid, ep, true), 0);
    assert.equal(groups.fetchOffsets("g", at("in", 0))[0].offset, 6);
  });
});

Deno.test("validation: wrong producer id, unknown partitions, states", async () => {
  await withEnv(async ({ txns }) => {
    const { producerId: pid, producerEpoch: ep } = await txns.initProducerId("tx", 60_000);
    assert.equal(
      (await txns.addPartitions("nope", pid, ep, [{ topic: "t", partitions: [0] }]))[0].errorCode,
      49,
    );
    assert.equal(
      (await txns.addPartitions("tx", pid + 5, ep, [{ topic: "t", partitions: [0] }]))[0].errorCode,
      49,
    );
    const mixed = await txns.addPartitions("tx", pid, ep, [
      { topic: "t", partitions: [0, 9] },
      { topic: "missing", partitions: [0] },
    ]);
    assert.deepEqual(mixed.map((p) => p.errorCode), [55, 3, 3]);
    assert.equal(txns.isPartitionInTxn("tx", pid, "t", 0), false, "nothing added on failure");
    assert.equal(await txns.endTxn("tx", pid, ep, true), 48, "no transaction open");
    assert.deepEqual(
      txns.txnOffsetCommit("tx", "g", pid, ep, [{
        topic: "a",
        partition: 0,
        offset: 1,
        metadata: null,
      }]),
      [48],
      "offsets need AddOffsetsToTxn first",
    );
    assert.equal(await txns.addOffsets("tx", pid, ep + 1, "g"), 47);
  });
});

Deno.test("re-init with a transaction open aborts it with the new epoch", async () => {
  await withEnv(async ({ txns, logs }) => {
    const old = await txns.initProducerId("tx", 60_000);
    await txns.addPartitions("tx", old.producerId, old.producerEpoch, [{
      topic: "t",
      partitions: [0],
    }]);
    logs.partition("t", 0)!.ongoing.add(old.producerId);
    const fresh = await txns.initProducerId("tx", 60_000);
    assert.equal(fresh.producerEpoch, old.producerEpoch + 1);
    assert.deepEqual(logs.partition("t", 0)!.markers, [
      { pid: old.producerId, epoch: fresh.producerEpoch, commit: false },
    ]);
    assert.equal(await txns.endTxn("tx", old.producerId, old.producerEpoch, true), 47);
  });
});

Deno.test("an expired transaction is aborted and its producer fenced", async () => {
  await withEnv(async ({ txns, logs, timers }) => {
    const { producerId: pid, producerEpoch: ep } = await txns.initProducerId("tx", 5000);
    await txns.addPartitions("tx", pid, ep, [{ topic: "t", partitions: [0] }]);
    logs.partition("t", 0)!.ongoing.add(pid);
    timers.advance(4999);
    assert.equal(txns.describe("tx")?.state, "Ongoing");
    timers.advance(1);
    for (let i = 0; i < 20 && txns.describe("tx")?.state !== "CompleteAbort"; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(txns.describe("tx")?.state, "CompleteAbort");
    assert.deepEqual(logs.partition("t", 0)!.markers, [{ pid, epoch: ep + 1, commit: false }]);
    assert.equal(await txns.endTxn("tx", pid, ep, true), 47);
  });
});

Deno.test("a commit interrupted after PrepareCommit is finished on restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sa-txn-" });
  try {
    await Deno.mkdir(`${dir}/__txn`, { recursive: true });
    const rec = {
      id: "tx",
      pid: 3,
      epoch: 2,
      timeoutMs: 60000,
      state: "PrepareCommit",
      partitions: [["t", 0], ["t", 1]],
      groups: ["g"],
      offsets: { g: [{ topic: "in", partition: 2, offset: 40, metadata: null }] },
    };
    await Deno.writeTextFile(`${dir}/__txn/transactions.jsonl`, JSON.stringify(rec) + "\n");
    const logs = new FakeLogs("t", 2);
    logs.partition("t", 1)!.ongoing.add(3); // t/0 already got its marker before the crash
    const env = await start(dir, logs);
    assert.deepEqual(logs.partition("t", 0)!.markers, []);
    assert.deepEqual(logs.partition("t", 1)!.markers, [{ pid: 3, epoch: 2, commit: true }]);
    assert.equal(env.groups.fetchOffsets("g", at("in", 2))[0].offset, 40);
    assert.equal(env.txns.describe("tx")?.state, "CompleteCommit");
    await stop(env);
    const again = await start(dir, logs);
    assert.equal(again.txns.describe("tx")?.state, "CompleteCommit");
    assert.equal((await again.txns.initProducerId("tx", 1000)).producerEpoch, 3);
    await stop(again);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
