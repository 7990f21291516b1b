import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { Kafka, logLevel } from "kafkajs";
import { Application } from "../../../lib/stream/application.ts";
import { ProcessingError } from "../../../lib/stream/errors.ts";
import { MemoryStateBackend } from "../../../lib/stream/state/memory.ts";
import { committedOffsets, fastConsumer, readTopic, silent, startTestBroker } from "./_util.ts";

function makeApp(address: string, failAt: number | null, commitInterval: number): Application {
  const app = new Application({
    brokerAddress: address,
    consumerGroup: "eos",
    autoOffsetReset: "earliest",
    processingGuarantee: "exactly-once",
    commitInterval,
    logLevel: "SILENT",
    consumer: fastConsumer,
    handleSignals: false,
    stateBackend: new MemoryStateBackend(),
  });
  app.dataframe(app.topic<{ n: number }>("in")).apply((v) => {
    if (v.n === failAt) throw new Error(`fail at ${failAt}`);
    return { n: v.n * 10 };
  }).toTopic(app.topic("out"));
  return app;
}

/** The high watermark of partition 0 of `topic`. */
async function highWatermark(address: string, topic: string): Promise<number> {
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return Number((await admin.fetchTopicOffsets(topic))[0].high);
  } finally {
    await admin.disconnect();
  }
}

Deno.test({
  name: "exactly-once: a failed checkpoint is aborted; after a restart each row is seen once",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      const first = makeApp(broker.address, 7, 60_000);
      const producer = await first.getProducer();
      for (let n = 1; n <= 10; n++) producer.produce(first.topic("in"), { value: { n } });
      await producer.close();
      // Run 1 produces rows for 1..6 inside the open transaction, then fails at 7.
      await assertRejects(() => first.run(), ProcessingError, "in[0]@6");
      // Run 2 reprocesses from the last committed offset (none); rows appear at each commit.
      const second = makeApp(broker.address, null, 200);
      const stop = new AbortController();
      const running = second.run({ signal: stop.signal });
      const rows = await readTopic(broker.address, "out", 10);
      stop.abort();
      await running;
      const values = rows.map((r) => JSON.parse(r.value!).n);
      assertEquals(values, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
      // The aborted rows are in the log, invisible to read_committed consumers.
      // 6 aborted + 10 committed rows, plus transaction markers.
      const high = await highWatermark(broker.address, "out");
      assert(high >= 17, `expected the aborted rows in the log too, high watermark ${high}`);
      // Nothing more arrives for read_committed readers.
      assertEquals((await readTopic(broker.address, "out", 11, 1500)).length, 10);
    } finally {
      await broker.close();
    }
  },
});

Deno.test({
  name: "exactly-once: rows after a checkpoint inside a batch go into the next transaction",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "eos-batch",
        autoOffsetReset: "earliest",
        processingGuarantee: "exactly-once",
        commitInterval: 50,
        logLevel: "SILENT",
        consumer: fastConsumer,
        handleSignals: false,
        stateBackend: new MemoryStateBackend(),
      });
      const input = app.topic<{ n: number }>("batch-in");
      app.dataframe(input).apply((v) => {
        if (v.n === 450) throw new Error("fail at 450");
        const until = performance.now() + 1;
        while (performance.now() < until) { /* slow enough to checkpoint mid-batch */ }
        return { n: v.n };
      }).toTopic(app.topic("batch-out"));
      const producer = await app.getProducer();
      for (let n = 0; n < 500; n++) producer.produce(input, { value: { n } });
      await producer.close();
      // One fetch holds all 500 rows; checkpoints commit every ~50 ms inside it; the failure
      // aborts the open transaction. Read_committed readers must see exactly the committed rows.
      await assertRejects(() => app.run(), ProcessingError, "batch-in[0]@450");
      const committed = (await committedOffsets(broker.address, "eos-batch", "batch-in"))[0];
      assert(committed > 0 && committed < 450, `committed ${committed}`);
      const rows = await readTopic(broker.address, "batch-out", 500, 1500);
      const values = rows.map((r) => JSON.parse(r.value!).n);
      assertEquals(values, Array.from({ length: committed }, (_, n) => n));
    } finally {
      await broker.close();
    }
  },
});
