import { CompressionTypes } from "kafkajs";
import { assert, assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClient, kafkaClients, type Received, text, unique, waitFor } from "./_kafkajs.ts";

const N = 10_000;
const KEYS = 97;

function valueOf(i: number): string {
  // Varying sizes so batches are not all alike; the index makes every value unique.
  return `value-${i}-${"x".repeat(i % 53)}`;
}

Deno.test("kafkajs: produce and consume 10,000 keyed messages over 3 partitions", async () => {
  const broker = await testBroker();
  try {
    await using clients = kafkaClients(broker.address, {
      groupId: unique("pc-group"),
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 200,
    });
    const { admin, producer, consumer } = clients;
    await admin.connect();
    const topic = unique("keyed");
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await producer.connect();
    const acked: { partition: number; baseOffset: number }[] = [];
    for (let base = 0; base < N; base += 1000) {
      const messages = [];
      for (let i = base; i < base + 1000; i++) {
        messages.push({ key: `key-${i % KEYS}`, value: valueOf(i), headers: { seq: String(i) } });
      }
      const res = await producer.send({ topic, acks: -1, messages });
      for (const r of res) {
        assertEquals(r.errorCode, 0);
        acked.push({ partition: r.partition, baseOffset: Number(r.baseOffset) });
      }
    }

    const received: (Received & { seq: string | null })[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          received.push({
            partition: batch.partition,
            offset: Number(m.offset),
            key: text(m.key),
            value: text(m.value),
            seq: text(m.headers?.seq as Uint8Array | undefined),
          });
        }
        await Promise.resolve();
      },
    });
    await waitFor(`${N} messages (have ${received.length})`, () => received.length >= N, 30_000);
    // Nothing extra arrives.
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(received.length, N);

    // All present, content intact.
    const seen = new Set<number>();
    for (const m of received) {
      const i = Number(m.seq);
      assert(!seen.has(i), `message ${i} delivered twice`);
      seen.add(i);
      assertEquals(m.key, `key-${i % KEYS}`);
      assertEquals(m.value, valueOf(i));
    }
    assertEquals(seen.size, N);

    // Per-key order, each key on exactly one partition, all 3 partitions used.
    const lastByKey = new Map<string, { seq: number; partition: number }>();
    const partitions = new Set<number>();
    for (const m of received) {
      const i = Number(m.seq);
      partitions.add(m.partition);
      const prev = lastByKey.get(m.key!);
      if (prev) {
        assertEquals(prev.partition, m.partition, `key ${m.key} moved partition`);
        assert(prev.seq < i, `key ${m.key}: ${i} after ${prev.seq}`);
      }
      lastByKey.set(m.key!, { seq: i, partition: m.partition });
    }
    assertEquals([...partitions].sort(), [0, 1, 2]);

    // Offsets per partition are dense from 0 and in order.
    for (const p of [0, 1, 2]) {
      const offs = received.filter((m) => m.partition === p).map((m) => m.offset);
      offs.forEach((o, idx) => assertEquals(o, idx, `partition ${p} offset #${idx}`));
    }
    // Produce acknowledgements name the base offsets the consumer saw.
    for (const a of acked) {
      assert(
        received.some((m) => m.partition === a.partition && m.offset === a.baseOffset),
        `acked base offset ${a.partition}@${a.baseOffset} not consumed`,
      );
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((s, o) => s + Number(o.high), 0);
    assertEquals(total, N);
  } finally {
    await broker.close();
  }
});

Deno.test("kafkajs: a waiting consumer is woken by produce (long poll) and acks=0/1 work", async () => {
  const broker = await testBroker();
  const kafka = kafkaClient(broker.address);
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  // A long maxWait: if produce did not wake the parked fetch, delivery would take ~3 s.
  const consumer = kafka.consumer({
    groupId: unique("lp-group"),
    maxWaitTimeInMs: 3000,
    heartbeatInterval: 500,
  });
  try {
    const topic = unique("longpoll");
    await producer.connect();
    // Auto-creates the topic (Metadata with allow_auto_topic_creation).
    await producer.send({ topic, acks: 1, messages: [{ value: "first" }] });
    const got: { value: string | null; at: number }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push({ value: text(message.value), at: Date.now() });
        await Promise.resolve();
      },
    });
    await waitFor("first message", () => got.length === 1, 20_000);
    // Let the consumer park a fetch at the end of the log.
    await new Promise((r) => setTimeout(r, 500));
    const sentAt = Date.now();
    await producer.send({ topic, acks: 0, messages: [{ value: "acks0" }] });
    await waitFor("acks=0 message", () => got.length === 2, 10_000);
    const latency = got[1].at - sentAt;
    assert(latency < 2000, `parked fetch was not woken by produce: ${latency} ms`);
    await producer.send({ topic, acks: -1, messages: [{ value: "acksall" }] });
    await waitFor("acks=all message", () => got.length === 3, 10_000);
    assertEquals(got.map((g) => g.value), ["first", "acks0", "acksall"]);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await broker.close();
  }
});

Deno.test("kafkajs: gzip batches, LogAppendTime topics, ListOffsets by timestamp", async () => {
  const broker = await testBroker();
  try {
    await using clients = kafkaClients(broker.address, {
      groupId: unique("ts-group"),
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    const { admin, producer, consumer } = clients;
    const created = unique("create-time");
    const appended = unique("append-time");
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: created, numPartitions: 1 },
        {
          topic: appended,
          numPartitions: 1,
          configEntries: [{ name: "message.timestamp.type", value: "LogAppendTime" }],
        },
      ],
    });
    await producer.connect();
    // Client timestamps 1000, 2000, ... in gzip batches of 5.
    for (let b = 0; b < 4; b++) {
      await producer.send({
        topic: created,
        compression: CompressionTypes.GZIP,
        messages: Array.from({ length: 5 }, (_, i) => {
          const n = b * 5 + i;
          return { value: `gz-${n}`, timestamp: String((n + 1) * 1000) };
        }),
      });
    }
    const before = Date.now();
    const [res] = await producer.send({
      topic: appended,
      messages: [{ value: "stamped", timestamp: "1000" }],
    });
    const after = Date.now();
    const appendTime = Number(res.logAppendTime);
    assert(
      appendTime >= before - 1000 && appendTime <= after + 1000,
      `logAppendTime ${appendTime}`,
    );

    // Earliest offset with timestamp >= target, scanning inside (compressed) batches.
    const at = async (ts: number) =>
      (await admin.fetchTopicOffsetsByTimestamp(created, ts))[0].offset;
    assertEquals(await at(1), "0");
    assertEquals(await at(7000), "6");
    assertEquals(await at(7500), "7");
    assertEquals(await at(20_000), "19");
    // Past the newest record: kafkajs substitutes the high watermark for Kafka's -1.
    assertEquals(await at(30_000), "20");

    const got: { topic: string; value: string; timestamp: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [created, appended], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        got.push({ topic, value: text(message.value)!, timestamp: message.timestamp });
        await Promise.resolve();
      },
    });
    await waitFor("21 messages", () => got.length >= 21, 20_000);
    const gz = got.filter((g) => g.topic === created);
    assertEquals(gz.map((g) => g.value), Array.from({ length: 20 }, (_, i) => `gz-${i}`));
    assertEquals(
      gz.map((g) => Number(g.timestamp)),
      Array.from({ length: 20 }, (_, i) => (i + 1) * 1000),
    );
    // LogAppendTime replaces the client's timestamp with the broker's.
    const stamped = got.find((g) => g.topic === appended)!;
    assertEquals(stamped.value, "stamped");
    assertEquals(Number(stamped.timestamp), appendTime);
  } finally {
    await broker.close();
  }
});
