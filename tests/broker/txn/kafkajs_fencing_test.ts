import assert from "node:assert/strict";
import { Kafka, logLevel } from "kafkajs";
import { startTestBroker } from "../_harness.ts";

Deno.test("kafkajs: a second producer with the same transactional id fences the first and aborts its open transaction", async () => {
  const broker = await startTestBroker();
  const kafka = new Kafka({
    clientId: "fencing",
    brokers: [broker.address],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 },
  });
  const admin = kafka.admin();
  const opts = { transactionalId: "fence-me", idempotent: true, maxInFlightRequests: 1 };
  const zombie = kafka.producer(opts);
  const fresh = kafka.producer(opts);
  const reader = kafka.consumer({ groupId: "fence-reader", maxWaitTimeInMs: 100 });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "fenced", numPartitions: 1 }] });
    await zombie.connect();
    const stale = await zombie.transaction();
    await stale.send({ topic: "fenced", messages: [{ value: "from-zombie" }] });

    // The new producer's InitProducerId bumps the epoch and aborts the zombie's transaction.
    await fresh.connect();
    const tx = await fresh.transaction();
    await tx.send({ topic: "fenced", messages: [{ value: "from-fresh" }] });
    await tx.commit();

    await assert.rejects(stale.commit(), (e: Error & { type?: string }) => {
      assert.equal(e.type, "INVALID_PRODUCER_EPOCH", e.message);
      return true;
    });

    const seen: string[] = [];
    await reader.connect();
    await reader.subscribe({ topic: "fenced", fromBeginning: true });
    await reader.run({
      eachMessage: ({ message }) => {
        seen.push(String(message.value));
        return Promise.resolve();
      },
    });
    const deadline = Date.now() + 10_000;
    while (seen.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    await new Promise((r) => setTimeout(r, 300)); // anything else would have arrived by now
    assert.deepEqual(seen, ["from-fresh"], "read_committed sees only the committed message");
    const [p] = await admin.fetchTopicOffsets("fenced");
    // zombie record, abort marker, fresh record, commit marker
    assert.equal(p.high, "4");
  } finally {
    await reader.disconnect().catch(() => {});
    await zombie.disconnect().catch(() => {});
    await fresh.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await broker.close();
  }
});

Deno.test("kafkajs: a transaction that outlives its timeout is aborted and its producer fenced", async () => {
  const broker = await startTestBroker();
  const kafka = new Kafka({
    clientId: "timeout",
    brokers: [broker.address],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 },
  });
  const producer = kafka.producer({
    transactionalId: "slow",
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 300,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "slow-topic", numPartitions: 1 }] });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: "slow-topic", messages: [{ value: "late" }] });
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      const [p] = await admin.fetchTopicOffsets("slow-topic");
      if (p.high === "2") break; // record + abort marker
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(broker.logs.some((l) => l.includes("exceeded its 300 ms timeout")), "timeout logged");
    await assert.rejects(tx.commit(), (e: Error & { type?: string }) => {
      assert.equal(e.type, "INVALID_PRODUCER_EPOCH", e.message);
      return true;
    });
    const [p] = await admin.fetchTopicOffsets("slow-topic");
    assert.equal(p.high, "2");
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await broker.close();
  }
});
