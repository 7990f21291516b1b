import type { EachMessagePayload } from "kafkajs";
import { assert, assertEquals, assertRejects } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClient, text, unique, waitFor } from "./_kafkajs.ts";

/** The Kafka error name of a kafkajs error (unwrapping retries and aggregates). */
function errorType(e: unknown): string | undefined {
  const err = e as { type?: string; cause?: unknown; errors?: unknown[] };
  if (err.type) return err.type;
  if (err.cause) return errorType(err.cause);
  if (err.errors?.length) return errorType(err.errors[0]);
  return undefined;
}

Deno.test("kafkajs admin: create, list, describe, grow, delete topics", async () => {
  const broker = await testBroker();
  const admin = kafkaClient(broker.address).admin();
  try {
    await admin.connect();
    const plain = unique("admin-plain");
    const compacted = unique("admin-compact");
    assertEquals(
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          { topic: plain, numPartitions: 3 },
          {
            topic: compacted,
            numPartitions: 1,
            configEntries: [
              { name: "cleanup.policy", value: "compact" },
              { name: "retention.ms", value: "3600000" },
            ],
          },
        ],
      }),
      true,
    );
    // Creating an existing topic is reported by kafkajs as `false` (TOPIC_ALREADY_EXISTS).
    assertEquals(await admin.createTopics({ topics: [{ topic: plain, numPartitions: 3 }] }), false);

    const names = await admin.listTopics();
    assert(names.includes(plain) && names.includes(compacted), `listTopics: ${names}`);

    const meta = await admin.fetchTopicMetadata({ topics: [plain, compacted] });
    const byName = new Map(meta.topics.map((t) => [t.name, t]));
    assertEquals(
      byName.get(plain)!.partitions.map((p) => p.partitionId).sort(),
      [0, 1, 2],
    );
    for (const p of byName.get(plain)!.partitions) {
      assertEquals(p.partitionErrorCode, 0);
      assertEquals(p.replicas, [p.leader]);
      assertEquals(p.isr, [p.leader]);
    }
    assertEquals(byName.get(compacted)!.partitions.length, 1);

    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, /* TOPIC */ name: compacted }],
    });
    assertEquals(resources.length, 1);
    assertEquals(resources[0].errorCode, 0);
    const cfg = new Map(resources[0].configEntries.map((e) => [e.configName, e]));
    assertEquals(cfg.get("cleanup.policy")?.configValue, "compact");
    assertEquals(cfg.get("retention.ms")?.configValue, "3600000");
    assertEquals(cfg.get("retention.ms")?.isDefault, false);
    // Every supported config comes back, defaults included.
    assertEquals(cfg.get("max.message.bytes")?.configValue, "1048588");
    assertEquals(cfg.get("max.message.bytes")?.isDefault, true);

    await admin.createPartitions({ topicPartitions: [{ topic: plain, count: 5 }] });
    const grown = await admin.fetchTopicMetadata({ topics: [plain] });
    assertEquals(grown.topics[0].partitions.length, 5);
    // Shrinking is refused with INVALID_PARTITIONS.
    const shrink = await assertRejects(() =>
      admin.createPartitions({ topicPartitions: [{ topic: plain, count: 2 }] })
    );
    assertEquals(errorType(shrink), "INVALID_PARTITIONS");

    // Offsets of an empty 5-partition topic are all 0.
    const offsets = await admin.fetchTopicOffsets(plain);
    assertEquals(offsets.length, 5);
    for (const o of offsets) assertEquals([o.low, o.high, o.offset], ["0", "0", "0"]);

    await admin.deleteTopics({ topics: [plain], timeout: 5000 });
    const after = await admin.listTopics();
    assert(!after.includes(plain), `deleted topic still listed: ${after}`);
    assert(after.includes(compacted));
    // Deleting it again: UNKNOWN_TOPIC_OR_PARTITION (kafkajs retries it, so no retries here).
    const once = kafkaClient(broker.address, "sa-test-once", 0).admin();
    await once.connect();
    try {
      const e = await assertRejects(() => once.deleteTopics({ topics: [plain], timeout: 5000 }));
      assertEquals(errorType(e), "UNKNOWN_TOPIC_OR_PARTITION");
    } finally {
      await once.disconnect();
    }
  } finally {
    await admin.disconnect();
    await broker.close();
  }
});

Deno.test("kafkajs admin: invalid topic name refused; DeleteRecords moves the log start", async () => {
  const broker = await testBroker();
  const kafka = kafkaClient(broker.address);
  const admin = kafka.admin();
  const producer = kafka.producer();
  let consumer = kafka.consumer({ groupId: "unused" });
  try {
    await admin.connect();
    const bad = await assertRejects(() => admin.createTopics({ topics: [{ topic: "bad name!" }] }));
    assertEquals(errorType(bad), "INVALID_TOPIC_EXCEPTION");
    const topic = unique("admin-records");
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send({
      topic,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })),
    });
    // A group commits offset 2 before the records below 4 are deleted.
    const groupId = unique("admin-reset");
    const opts = { groupId, heartbeatInterval: 500, maxWaitTimeInMs: 100 };
    const got: string[] = [];
    const collect = async ({ message }: EachMessagePayload) => {
      got.push(text(message.value)!);
      await Promise.resolve();
    };
    consumer = kafka.consumer(opts);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: collect });
    await waitFor("the first messages", () => got.length >= 2);
    await consumer.commitOffsets([{ topic, partition: 0, offset: "2" }]);
    await consumer.disconnect();

    // kafkajs finds partition leaders from metadata it already holds.
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "4" }] });
    const [o] = await admin.fetchTopicOffsets(topic);
    assertEquals([o.low, o.high], ["4", "10"]);

    // The committed offset is now below the log start: Fetch answers OFFSET_OUT_OF_RANGE and
    // the consumer resets to the earliest retained record.
    got.length = 0;
    consumer = kafka.consumer(opts);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: collect });
    await waitFor("6 retained messages", () => got.length >= 6);
    assertEquals(got, ["m4", "m5", "m6", "m7", "m8", "m9"]);
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    await broker.close();
  }
});
