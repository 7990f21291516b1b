import { assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClients, text, unique, waitFor } from "./_kafkajs.ts";

/** The admin, producer and group member each half of the test uses. */
const clients = (address: string, groupId: string) =>
  kafkaClients(address, { groupId, heartbeatInterval: 500, maxWaitTimeInMs: 200 });

Deno.test("kafkajs: topics, data and committed offsets survive a broker restart", async () => {
  const broker = await testBroker();
  const topic = unique("restart");
  const groupId = unique("restart-group");
  try {
    {
      await using c = clients(broker.address, groupId);
      const { admin, producer, consumer } = c;
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      await producer.connect();
      await producer.send({
        topic,
        messages: Array.from({ length: 100 }, (_, i) => ({ partition: i % 2, value: `a${i}` })),
      });
      // Consume partition 0 up to offset 30 and partition 1 up to 20, committing exactly there.
      const seen: string[] = [];
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (Number(message.offset) < (partition === 0 ? 30 : 20)) {
            seen.push(text(message.value)!);
          }
          await Promise.resolve();
        },
      });
      await waitFor("50 messages", () => seen.length >= 50, 20_000);
      await consumer.commitOffsets([
        { topic, partition: 0, offset: "30" },
        { topic, partition: 1, offset: "20" },
      ]);
    }

    await broker.restart();

    await using c = clients(broker.address, groupId);
    const { admin, producer, consumer } = c;
    await admin.connect();
    // Topic metadata and the log survived.
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    assertEquals(meta.topics[0].partitions.length, 2);
    const hw = await admin.fetchTopicOffsets(topic);
    assertEquals(hw.map((o) => [o.partition, o.high]).sort(), [[0, "50"], [1, "50"]]);
    // Committed offsets survived.
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    assertEquals(
      committed.partitions.map((p) => [p.partition, p.offset]).sort(),
      [[0, "30"], [1, "20"]],
    );

    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ partition: i % 2, value: `b${i}` })),
    });
    // fromBeginning would replay everything if the offsets had been lost.
    const got: { p: number; o: number; v: string }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        got.push({ p: partition, o: Number(message.offset), v: text(message.value)! });
        await Promise.resolve();
      },
    });
    await waitFor(
      `60 messages after restart (have ${got.length})`,
      () => got.length >= 60,
      20_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(got.length, 60);
    const p0 = got.filter((g) => g.p === 0), p1 = got.filter((g) => g.p === 1);
    assertEquals(p0[0], { p: 0, o: 30, v: "a60" });
    assertEquals(p1[0], { p: 1, o: 20, v: "a41" });
    assertEquals(p0.map((g) => g.o), Array.from({ length: 25 }, (_, i) => 30 + i));
    assertEquals(p0.at(-1)!.v, "b8");
    assertEquals(p1.at(-1)!.v, "b9");
  } finally {
    await broker.close();
  }
});
