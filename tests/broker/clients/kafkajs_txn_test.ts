import { assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClient, text, unique, waitFor } from "./_kafkajs.ts";

Deno.test("kafkajs transactions: committed and aborted, read_committed vs read_uncommitted", async () => {
  const broker = await testBroker();
  const kafka = kafkaClient(broker.address);
  const admin = kafka.admin();
  const txProducer = kafka.producer({
    transactionalId: unique("txid"),
    idempotent: true,
    maxInFlightRequests: 1,
  });
  const plain = kafka.producer();
  const consumerOpts = { heartbeatInterval: 500, maxWaitTimeInMs: 200 };
  const committedReader = kafka.consumer({ groupId: unique("rc"), ...consumerOpts });
  const uncommittedReader = kafka.consumer({
    groupId: unique("ru"),
    readUncommitted: true,
    ...consumerOpts,
  });
  const topic = unique("txn");
  const source = unique("txn-source");
  const offsetsGroup = unique("txn-offsets");
  try {
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1 }, { topic: source, numPartitions: 1 }],
      waitForLeaders: true,
    });
    await txProducer.connect();
    await plain.connect();

    const committed = await txProducer.transaction();
    await committed.send({
      topic,
      messages: Array.from({ length: 5 }, (_, i) => ({ key: "k", value: `c${i}` })),
    });
    await committed.sendOffsets({
      consumerGroupId: offsetsGroup,
      topics: [{ topic: source, partitions: [{ partition: 0, offset: "7" }] }],
    });
    await committed.commit();

    const aborted = await txProducer.transaction();
    await aborted.send({
      topic,
      messages: Array.from({ length: 5 }, (_, i) => ({ key: "k", value: `a${i}` })),
    });
    await aborted.sendOffsets({
      consumerGroupId: offsetsGroup,
      topics: [{ topic: source, partitions: [{ partition: 0, offset: "99" }] }],
    });
    await aborted.abort();
    await plain.send({ topic, messages: [{ value: "end" }] });

    const rc: string[] = [], ru: string[] = [];
    for (const [c, sink] of [[committedReader, rc], [uncommittedReader, ru]] as const) {
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => {
          sink.push(text(message.value)!);
          await Promise.resolve();
        },
      });
    }
    await waitFor("read_committed to reach end", () => rc.includes("end"), 20_000);
    await waitFor("read_uncommitted to reach end", () => ru.includes("end"), 20_000);
    assertEquals(rc, ["c0", "c1", "c2", "c3", "c4", "end"]);
    assertEquals(ru, ["c0", "c1", "c2", "c3", "c4", "a0", "a1", "a2", "a3", "a4", "end"]);

    // Only the committed transaction's offsets became visible.
    const [off] = await admin.fetchOffsets({ groupId: offsetsGroup, topics: [source] });
    assertEquals(off.partitions.map((p) => p.offset), ["7"]);
    // 5 + commit marker + 5 + abort marker + 1.
    const [hw] = await admin.fetchTopicOffsets(topic);
    assertEquals(hw.high, "13");

    // An open transaction holds back read_committed readers (LSO), not read_uncommitted ones.
    const open = await txProducer.transaction();
    await open.send({ topic, messages: [{ value: "x0" }] });
    await plain.send({ topic, messages: [{ value: "late" }] });
    await waitFor("read_uncommitted to see the open txn", () => ru.includes("late"), 10_000);
    await new Promise((r) => setTimeout(r, 800));
    assertEquals(rc.length, 6, `read_committed read past the LSO: ${rc}`);
    await open.commit();
    await waitFor("read_committed after commit", () => rc.includes("late"), 10_000);
    assertEquals(rc.slice(6), ["x0", "late"]);
    assertEquals(ru.slice(11), ["x0", "late"]);
  } finally {
    await committedReader.disconnect();
    await uncommittedReader.disconnect();
    await plain.disconnect();
    await txProducer.disconnect();
    await admin.disconnect();
    await broker.close();
  }
});

Deno.test("kafkajs: a fenced transactional producer's next send fails with INVALID_PRODUCER_EPOCH", async () => {
  // Before: the zombie got INVALID_TXN_STATE (48), which clients do not treat as fencing.
  const broker = await testBroker();
  const kafka = kafkaClient(broker.address);
  const admin = kafka.admin();
  const transactionalId = unique("zombie");
  const options = { transactionalId, idempotent: true, maxInFlightRequests: 1 };
  const zombie = kafka.producer(options);
  const successor = kafka.producer(options);
  const topic = unique("fenced");
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await zombie.connect();
    const tx = await zombie.transaction();
    await tx.send({ topic, messages: [{ partition: 0, value: "before" }] });
    await successor.connect();
    await (await successor.transaction()).abort(); // InitProducerId: fences the zombie
    let error: { type?: string; retriable?: boolean } | null = null;
    try {
      // The partition is already in the zombie's transaction: this is a plain Produce.
      await tx.send({ topic, messages: [{ partition: 0, value: "after" }] });
    } catch (e) {
      error = e as { type?: string; retriable?: boolean };
    }
    assertEquals(
      { type: error?.type, retriable: error?.retriable },
      { type: "INVALID_PRODUCER_EPOCH", retriable: false },
    );
  } finally {
    await zombie.disconnect();
    await successor.disconnect();
    await admin.disconnect();
    await broker.close();
  }
});
