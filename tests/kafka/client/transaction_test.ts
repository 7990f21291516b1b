import assert from "node:assert/strict";
import { Cluster } from "../../../lib/kafka/client/cluster.ts";
import { TransactionalProducer } from "../../../lib/kafka/client/transaction.ts";
import { Admin } from "../../../lib/kafka/client/admin.ts";
import { KafkaClientError } from "../../../lib/kafka/client/errors.ts";
import type { KafkaConnection } from "../../../lib/kafka/client/connection.ts";
import { startTestBroker } from "../../broker/_harness.ts";
import { readPartition } from "./_read.ts";
import { startProxy } from "./_proxy.ts";

async function withCluster(
  fn: (cluster: Cluster, address: string) => Promise<void>,
  bootstrap?: (brokerAddress: string) => { address: string; close(): Promise<void> },
): Promise<void> {
  const b = await startTestBroker({ defaultPartitions: 1 });
  const front = bootstrap?.(b.address);
  const cluster = new Cluster({ bootstrap: front?.address ?? b.address, clientId: "txn-test" });
  try {
    await fn(cluster, b.address);
  } finally {
    await cluster.close();
    await front?.close();
    await b.close();
  }
}

/** Joins `groupId` as its only member (JoinGroup v5 + SyncGroup v3): generation and member id. */
async function joinGroup(
  conn: KafkaConnection,
  groupId: string,
): Promise<{ generationId: number; memberId: string }> {
  let memberId = "";
  for (;;) {
    const r = await conn.request(11, 5, (w) => {
      w.string(groupId).int32(10_000).int32(10_000).string(memberId).nullableString(null);
      w.string("consumer").array(["range"], (w, p) => void w.string(p).bytes(new Uint8Array(0)));
    });
    r.int32();
    const error = r.int16();
    const generationId = r.int32();
    r.string();
    r.string();
    memberId = r.string();
    if (error === 79) continue; // MEMBER_ID_REQUIRED: join again with the id given
    assert.equal(error, 0, `JoinGroup error ${error}`);
    const s = await conn.request(14, 3, (w) => {
      w.string(groupId).int32(generationId).string(memberId).nullableString(null);
      w.array([memberId], (w, m) => void w.string(m).bytes(new Uint8Array(0)));
    });
    s.int32();
    assert.equal(s.int16(), 0);
    return { generationId, memberId };
  }
}

/** The committed offset of `topic[partition]` for `groupId` (OffsetFetch v1). */
async function committed(conn: KafkaConnection, groupId: string, topic: string): Promise<number> {
  const r = await conn.request(9, 1, (w) => {
    w.string(groupId).array(
      [topic],
      (w, t) => void w.string(t).array([0], (w, p) => void w.int32(p)),
    );
  });
  let offset = -2;
  r.array((r) => {
    r.string();
    r.array((r) => {
      r.int32();
      offset = r.int64();
      r.nullableString();
      assert.equal(r.int16(), 0);
    });
  });
  return offset;
}

Deno.test("TransactionalProducer: committed records and offsets are visible, aborted ones are not", async () => {
  await withCluster(async (cluster, address) => {
    const tp = await TransactionalProducer.create(cluster, { transactionalId: "tx-a" });
    const group = { groupId: "g-a", generationId: -1, memberId: "", groupInstanceId: null };
    tp.beginTransaction();
    for (let i = 0; i < 10; i++) tp.append("out", null, `k${i}`, `c${i}`);
    await tp.sendOffsets(group, [{ topic: "in", partition: 0, offset: 42 }]);
    await tp.commit();
    tp.beginTransaction();
    for (let i = 0; i < 5; i++) tp.append("out", null, null, `a${i}`);
    await tp.flush();
    await tp.sendOffsets(group, [{ topic: "in", partition: 0, offset: 99 }]);
    await tp.abort();
    tp.beginTransaction();
    tp.append("out", null, null, "c10");
    await tp.commit();
    assert.equal(tp.state, "ready");
    const committedRecs = await readPartition(address, "out", 0, true);
    assert.deepEqual(committedRecs.map((r) => r.value), [
      ...Array.from({ length: 10 }, (_, i) => `c${i}`),
      "c10",
    ]);
    assert.ok(committedRecs.every((r) => r.transactional));
    assert.equal(
      (await readPartition(address, "out", 0, false)).length,
      16,
      "aborted ones are in the log",
    );
    assert.equal(await committed(await cluster.anyConnection(), "g-a", "in"), 42);
    await tp.close();
  });
});

Deno.test("TransactionalProducer: fenced mid-transaction, the next send fails fatally and so does every later call", async () => {
  await withCluster(async (cluster, address) => {
    const zombie = await TransactionalProducer.create(cluster, { transactionalId: "tx-f" });
    zombie.beginTransaction();
    zombie.append("out", 0, null, "z0");
    await zombie.flush(); // out[0] is in the transaction now
    const next = await TransactionalProducer.create(cluster, { transactionalId: "tx-f" });
    assert.equal(next.producerEpoch, zombie.producerEpoch + 1);
    zombie.append("out", 0, null, "z1");
    const err = await zombie.flush().then(() => assert.fail("expected fencing"), (e) => e);
    assert.ok(err instanceof KafkaClientError);
    assert.ok(err.fatal, err.message);
    assert.ok(!err.retriable);
    assert.match(err.name, /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/);
    assert.equal(zombie.state, "fatal");
    assert.throws(() => zombie.append("out", 0, null, "z2"), (e) => (e as KafkaClientError).fatal);
    await assert.rejects(zombie.commit(), (e) => (e as KafkaClientError).fatal);
    await assert.rejects(zombie.abort(), (e) => (e as KafkaClientError).fatal);
    assert.throws(() => zombie.beginTransaction(), (e) => (e as KafkaClientError).fatal);
    // The new instance works; nothing of the zombie's is committed.
    next.beginTransaction();
    next.append("out", 0, null, "n0");
    await next.commit();
    assert.deepEqual((await readPartition(address, "out", 0, true)).map((r) => r.value), ["n0"]);
  });
});

Deno.test("TransactionalProducer: fenced before its first partition was added (AddPartitionsToTxn) is fatal too", async () => {
  await withCluster(async (cluster) => {
    const zombie = await TransactionalProducer.create(cluster, { transactionalId: "tx-g" });
    await TransactionalProducer.create(cluster, { transactionalId: "tx-g" });
    zombie.beginTransaction();
    zombie.append("out", 0, null, "z");
    const err = await zombie.flush().then(() => assert.fail("expected fencing"), (e) => e);
    assert.ok(err.fatal);
    assert.match(err.message, /AddPartitionsToTxn out\[0\]/);
    assert.throws(() => zombie.append("out", 0, null, "z"), (e) => e === err);
  });
});

Deno.test("TransactionalProducer: TxnOffsetCommit v3 carries the generation; a stale member's offsets are refused, the transaction aborts", async () => {
  await withCluster(async (cluster) => {
    const conn = await cluster.connection(1, "test");
    const { generationId, memberId } = await joinGroup(conn, "g-s");
    const tp = await TransactionalProducer.create(cluster, { transactionalId: "tx-s" });
    tp.beginTransaction();
    tp.append("out", 0, null, "x");
    const stale = {
      groupId: "g-s",
      generationId: generationId - 1,
      memberId,
      groupInstanceId: null,
    };
    const err = await tp.sendOffsets(stale, [{ topic: "in", partition: 0, offset: 7 }]).then(
      () => assert.fail("expected a refusal"),
      (e) => e,
    );
    assert.equal(err.name, "ILLEGAL_GENERATION");
    assert.match(err.message, /abort the transaction/);
    assert.equal(tp.state, "abortable");
    await assert.rejects(tp.commit(), /is abortable/);
    await tp.abort();
    tp.beginTransaction();
    const group = { groupId: "g-s", generationId, memberId, groupInstanceId: null };
    await tp.sendOffsets(group, [{ topic: "in", partition: 0, offset: 8 }]);
    await tp.commit();
    assert.equal(await committed(conn, "g-s", "in"), 8);
  });
});

Deno.test("TransactionalProducer: a coordinator serving only TxnOffsetCommit v2 gets v2", async () => {
  let proxy: ReturnType<typeof startProxy> | undefined;
  await withCluster(
    async (cluster) => {
      const tp = await TransactionalProducer.create(cluster, { transactionalId: "tx-v2" });
      tp.beginTransaction();
      await tp.sendOffsets(
        { groupId: "g-v2", generationId: -1, memberId: "", groupInstanceId: null },
        [{ topic: "in", partition: 0, offset: 5, leaderEpoch: 0 }],
      );
      await tp.commit();
      assert.deepEqual(proxy!.requests.filter(([k]) => k === 28), [[28, 2]]);
      assert.equal(await committed(await cluster.anyConnection(), "g-v2", "in"), 5);
    },
    (address) =>
      proxy = startProxy(address, {
        // An older broker: ApiVersions v3 lists TxnOffsetCommit up to v2.
        rewrite: (key, _v, f) => {
          if (key !== 18) return f;
          const v = new DataView(f.buffer, f.byteOffset);
          for (let at = 7; at + 7 <= f.length - 5; at += 7) {
            if (v.getInt16(at) === 28) v.setInt16(at + 4, 2);
          }
          return f;
        },
      }),
  );
});

Deno.test("TransactionalProducer: a refused batch makes the transaction abortable; after abort the next one commits", async () => {
  await withCluster(async (cluster, address) => {
    await new Admin(cluster).createTopics([
      {
        name: "small",
        partitions: 1,
        replicationFactor: 1,
        configs: { "max.message.bytes": "2000" },
      },
    ]);
    const tp = await TransactionalProducer.create(cluster, { transactionalId: "tx-r" });
    const epoch = tp.producerEpoch;
    tp.beginTransaction();
    tp.append("small", 0, null, "ok before");
    await tp.flush();
    tp.append("small", 0, null, "x".repeat(5000));
    await assert.rejects(tp.flush(), /MESSAGE_TOO_LARGE/);
    assert.equal(tp.state, "abortable");
    await tp.abort();
    assert.equal(tp.producerEpoch, epoch + 1, "a new epoch restarts the sequence numbers");
    tp.beginTransaction();
    tp.append("small", 0, null, "after");
    await tp.commit();
    assert.deepEqual((await readPartition(address, "small", 0, true)).map((r) => r.value), [
      "after",
    ]);
  });
});

Deno.test("the producer, transactions and admin send only the request versions with golden tests", async () => {
  let proxy: ReturnType<typeof startProxy> | undefined;
  await withCluster(
    async (cluster) => {
      const admin = new Admin(cluster);
      await admin.createTopics([{ name: "v", partitions: 1, replicationFactor: 1 }]);
      await admin.listTopics();
      await admin.listOffsets("v", "latest");
      const tp = await TransactionalProducer.create(cluster, { transactionalId: "tx-v" });
      tp.beginTransaction();
      tp.append("v", 0, null, "x");
      await tp.sendOffsets(
        { groupId: "g", generationId: -1, memberId: "", groupInstanceId: null },
        [
          { topic: "v", partition: 0, offset: 1 },
        ],
      );
      await tp.commit();
      await admin.deleteTopics(["v"]);
      const seen = new Set(proxy!.requests.map(([k, v]) => `${k}v${v}`));
      assert.deepEqual(
        [...seen].sort(),
        [
          "0v7",
          "10v2",
          "18v3",
          "19v3",
          "20v1",
          "22v1",
          "24v1",
          "25v1",
          "26v1",
          "28v3",
          "2v2",
          "3v8",
        ],
      );
    },
    (address) => proxy = startProxy(address),
  );
});
