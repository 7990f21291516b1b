import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Cluster } from "../../../lib/kafka/client/cluster.ts";
import { Admin } from "../../../lib/kafka/client/admin.ts";
import { consumerCluster } from "../../../lib/kafka/client/_consumer_cluster.ts";
import { Consumer } from "../../../lib/kafka/client/consumer.ts";
import type { GroupMetadata } from "../../../lib/kafka/client/transaction.ts";
import { NativePartitionTxn } from "../../../lib/stream/kafka/_native_partition_txn.ts";
import { startTestBroker } from "../../broker/_harness.ts";
import { readPartition } from "../../kafka/client/_read.ts";
import { Logger } from "../../../lib/util/log.ts";

const silent = new Logger("test", "SILENT");

function member(address: string) {
  const cluster = consumerCluster(new Cluster({ bootstrap: address, clientId: "member" }));
  const consumer = new Consumer(cluster, {
    groupId: "g",
    groupInstanceId: null,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 10_000,
    heartbeatIntervalMs: 100,
    maxWaitMs: 50,
    maxBytes: 1 << 20,
    partitionMaxBytes: 1 << 20,
    readCommitted: true,
    autoOffsetReset: "earliest",
  });
  let assigned = 0;
  const run = consumer.run(["in"], {
    revoking: () => Promise.resolve(),
    assigned: (a) => {
      assigned += [...a.values()].flat().length;
      return Promise.resolve();
    },
    batch: () => Promise.resolve(),
    warn: () => {},
  });
  return {
    consumer,
    run,
    get assigned() {
      return assigned;
    },
    async close() {
      await consumer.stop({ leave: true });
      cluster.close();
    },
  };
}

async function until(pred: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("exactly-once on the toolkit's client: changelog offsets are reported, and a replica that left the generation cannot commit its partition's offsets (TxnOffsetCommit v3)", async () => {
  const broker = await startTestBroker({ defaultPartitions: 1, logger: silent });
  const cluster = new Cluster({ bootstrap: broker.address, clientId: "eos-test" });
  const a = member(broker.address);
  let b: ReturnType<typeof member> | null = null;
  try {
    await new Admin(cluster).createTopics([
      { name: "in", partitions: 1 },
      { name: "out", partitions: 1 },
      { name: "cl", partitions: 1 },
    ]);
    await until(() => a.assigned === 1, "the first member's assignment");
    let meta: () => GroupMetadata = () => a.consumer.groupMetadata();
    const part = await NativePartitionTxn.claim(
      cluster,
      "g-in-0",
      "in",
      0,
      () => a.consumer.committed("in", 0),
      () => meta(),
    );
    assert.ok(meta().generationId >= 0 && meta().memberId !== "", "a member of a generation");

    // Changelog chunks report their base offset (the state store's checkpoint needs it).
    const chunk = (values: string[]) => ({
      topic: "cl",
      messages: values.map((v) => ({ partition: 0, key: Buffer.from(v), value: Buffer.from(v) })),
    });
    assert.equal((await part.send(chunk(["c0", "c1"])))[0].baseOffset, "0");
    assert.equal((await part.send(chunk(["c2"])))[0].baseOffset, "2");
    part.batching.add("out", { value: "r1" });
    await part.commit("g", 1);
    assert.equal(await a.consumer.committed("in", 0), 1);

    // The first replica leaves; a second one joins (a new generation). The first one's
    // transaction still runs with its old generation, as a zombie's would.
    const stale = a.consumer.groupMetadata();
    meta = () => stale;
    await a.close();
    b = member(broker.address);
    await until(() => b!.assigned === 1, "the second member's assignment");
    part.batching.add("out", { value: "zombie" });
    await assert.rejects(part.commit("g", 2), (e: Error) => {
      assert.match(e.name, /^(ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID)$/);
      return true;
    });
    assert.ok(part.failed, "the partition's work is void");
    await part.close(silent);
    assert.equal(await b.consumer.committed("in", 0), 1, "the stale commit did not land");
    const committed = await readPartition(broker.address, "out", 0, true);
    assert.deepEqual(committed.map((r) => r.value), ["r1"]);
  } finally {
    await b?.close();
    await a.close().catch(() => {});
    await cluster.close();
    await broker.close();
  }
});
