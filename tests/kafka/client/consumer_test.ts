import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { Cluster } from "../../../lib/kafka/client/cluster.ts";
import { consumerCluster } from "../../../lib/kafka/client/_consumer_cluster.ts";
import {
  Consumer,
  type ConsumerHandlers,
  type ConsumerOptions,
} from "../../../lib/kafka/client/consumer.ts";
import { type HarnessBroker, startTestBroker } from "../../broker/_harness.ts";
import { Logger } from "../../../lib/util/log.ts";

const silent = new Logger("broker", "SILENT");
const dec = new TextDecoder();

function opts(groupInstanceId: string | null): ConsumerOptions {
  return {
    groupId: "g",
    groupInstanceId,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 10_000,
    heartbeatIntervalMs: 100,
    maxWaitMs: 50,
    maxBytes: 1 << 20,
    partitionMaxBytes: 1 << 20,
    readCommitted: true,
    autoOffsetReset: "earliest",
  };
}

/** A consumer on `broker`, recording its assignments and the values it reads. */
function member(
  broker: HarnessBroker,
  instanceId: string | null,
  hooks: Partial<ConsumerHandlers> = {},
) {
  const cluster = consumerCluster(new Cluster({ bootstrap: broker.address, clientId: "test" }));
  const consumer = new Consumer(cluster, opts(instanceId));
  const assignments: string[][] = [];
  const values: string[] = [];
  const run = consumer.run(["t"], {
    revoking: hooks.revoking ?? (() => Promise.resolve()),
    assigned: async (a) => {
      assignments.push([...a].flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)).sort());
      await hooks.assigned?.(a);
    },
    batch: (b) => {
      while (b.records.next()) {
        values.push(dec.decode(b.records.value!));
        b.resolveOffset(b.records.offset);
      }
      return Promise.resolve();
    },
    warn: () => {},
  });
  return {
    consumer,
    assignments,
    values,
    run,
    async close(leave: boolean) {
      await consumer.stop({ leave });
      cluster.close();
    },
  };
}

async function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function withTopic(fn: (broker: HarnessBroker, kafka: Kafka) => Promise<void>) {
  const broker = await startTestBroker({ logger: silent });
  const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  try {
    await fn(broker, kafka);
  } finally {
    await broker.close();
  }
}

Deno.test({
  name:
    "consumer: a static member that restarts gets its partitions back; the other member's generation is kept",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withTopic(async (broker) => {
      const a = member(broker, "a");
      await until(() => a.assignments.length === 1, "a's first assignment");
      const b = member(broker, "b");
      await until(() => b.assignments.length === 1 && a.assignments.length === 2, "the rebalance");
      const generation = a.consumer.group.generationId;
      const bParts = b.assignments[0];
      assert.equal(bParts.length, 1);
      // Gone without leaving (kill -9), then back with the same instance id.
      await b.close(false);
      const b2 = member(broker, "b");
      await until(() => b2.assignments.length === 1, "b's restart to be assigned", 5000);
      assert.deepEqual(b2.assignments[0], bParts);
      await new Promise((r) => setTimeout(r, 500)); // a few heartbeats of a
      assert.equal(a.consumer.group.generationId, generation);
      assert.equal(a.assignments.length, 2, "a was not rebalanced");
      await b2.close(true);
      await a.close(true);
    });
  },
});

Deno.test({
  name:
    "consumer: the revoking hook is awaited before the member rejoins, so the group waits for it",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withTopic(async (broker) => {
      let release!: () => void;
      let revokingCalled = false;
      const a = member(broker, null, {
        revoking: () => {
          revokingCalled = true;
          return new Promise<void>((r) => (release = r));
        },
      });
      await until(() => a.assignments.length === 1, "a's first assignment");
      const b = member(broker, null);
      await until(() => revokingCalled, "a to see the rebalance");
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(b.assignments.length, 0, "the group waits for a's revoking hook");
      release();
      await until(() => b.assignments.length === 1 && a.assignments.length === 2, "the rebalance");
      await b.close(true);
      await a.close(true);
    });
  },
});

Deno.test({
  name: "consumer: committed offsets are stable (a pending transactional commit is waited for)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withTopic(async (broker, kafka) => {
      const producer = kafka.producer({
        transactionalId: "tx",
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await producer.connect();
      const tx = await producer.transaction();
      await tx.send({ topic: "t", messages: [{ value: "x", partition: 0 }] });
      await tx.sendOffsets({
        consumerGroupId: "g",
        topics: [{ topic: "t", partitions: [{ partition: 0, offset: "7" }] }],
      });
      const a = member(broker, null);
      let committed: number | null = null;
      const asked = a.consumer.committed("t", 0).then((o) => (committed = o));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(committed, null, "unstable while the transaction is open");
      await tx.commit();
      await asked;
      assert.equal(committed, 7);
      await producer.disconnect();
      await a.close(true);
    });
  },
});

Deno.test({
  name: "consumer: reads every record once across batches, read_committed skips aborted ones",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withTopic(async (broker, kafka) => {
      const p = kafka.producer({
        transactionalId: "tx2",
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await p.connect();
      const aborted = await p.transaction();
      await aborted.send({ topic: "t", messages: [{ value: "aborted", partition: 0 }] });
      await aborted.abort();
      const ok = await p.transaction();
      await ok.send({
        topic: "t",
        messages: Array.from({ length: 500 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })),
      });
      await ok.commit();
      await p.disconnect();
      const a = member(broker, null);
      await until(() => a.values.length >= 500, "500 values");
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(a.values.length, 500);
      assert.equal(new Set(a.values).size, 500);
      assert.ok(!a.values.includes("aborted"));
      await a.close(true);
    });
  },
});

Deno.test({
  name:
    "consumer: a seek during a batch drops the fetch sent ahead; reading resumes at the sought offset",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await withTopic(async (broker, kafka) => {
      const p = kafka.producer();
      await p.connect();
      // Many small batches, so fetches are sent ahead while earlier ones are processed.
      for (let i = 0; i < 50; i++) {
        await p.send({ topic: "t", messages: [{ value: `v${i}`, partition: 0 }] });
      }
      await p.disconnect();
      const cluster = consumerCluster(new Cluster({ bootstrap: broker.address, clientId: "test" }));
      const consumer = new Consumer(cluster, { ...opts(null), partitionMaxBytes: 200 });
      const seen: number[] = [];
      let sought = false;
      const run = consumer.run(["t"], {
        revoking: () => Promise.resolve(),
        assigned: () => Promise.resolve(),
        batch: (b) => {
          while (b.records.next()) {
            const o = b.records.offset;
            seen.push(o);
            if (o === 20 && !sought) {
              sought = true;
              consumer.seek("t", 0, 10);
              return Promise.resolve();
            }
            b.resolveOffset(o);
          }
          return Promise.resolve();
        },
        warn: () => {},
      });
      await until(() => seen.filter((o) => o === 49).length === 1, "the last record");
      await new Promise((r) => setTimeout(r, 200));
      const expected = [
        ...Array.from({ length: 21 }, (_, i) => i),
        ...Array.from({ length: 40 }, (_, i) => i + 10),
      ];
      assert.deepEqual(seen, expected);
      await consumer.stop({ leave: true });
      cluster.close();
      await run;
    });
  },
});
