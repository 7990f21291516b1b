import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { ProcessingError } from "../../../lib/stream/errors.ts";
import { Topic } from "../../../lib/stream/topic.ts";
import {
  committedOffsets,
  fastConsumer,
  readTopic,
  silent,
  startTestBroker,
  waitFor,
} from "./_util.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "produce → app → output topic, offsets committed on graceful stop",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "double",
        autoOffsetReset: "earliest",
        commitInterval: 200,
        logLevel: "WARN",
        consumer: fastConsumer,
        handleSignals: false,
      });
      const input = app.topic<{ n: number }>("numbers", { config: { numPartitions: 2 } });
      const output = app.topic<{ n: number }>("doubled");
      const sdf = app.dataframe(input);
      sdf.filter((v) => v.n % 3 !== 0).apply((v) => ({ n: v.n * 2 })).toTopic(output);
      // A Topic made without app.topic() is created too, when a dataframe writes to it.
      sdf.filter((v) => v.n === 1).toTopic(new Topic("direct"));

      const producer = await app.getProducer();
      for (let n = 1; n <= 30; n++) producer.produce(input, { key: `k${n % 4}`, value: { n } });
      await producer.close();

      const stop = new AbortController();
      const running = app.run({ signal: stop.signal });
      const rows = await readTopic(broker.address, "doubled", 20);
      stop.abort();
      await running;
      assertEquals(rows.length, 20);
      const got = rows.map((r) => JSON.parse(r.value!).n).sort((a, b) => a - b);
      const want = [...Array(30).keys()].map((i) => i + 1).filter((n) => n % 3 !== 0).map((n) =>
        n * 2
      );
      assertEquals(got, want);
      // Keys are kept: each output key matches its input's key.
      for (const r of rows) assertEquals(r.key, `k${(JSON.parse(r.value!).n / 2) % 4}`);
      assertEquals((await readTopic(broker.address, "direct", 1)).map((r) => r.value), ['{"n":1}']);
      const committed = await committedOffsets(broker.address, "double", "numbers");
      assertEquals((committed[0] ?? 0) + (committed[1] ?? 0), 30);
    } finally {
      await broker.close();
    }
  },
});

Deno.test({
  name:
    "a failing message stops the app naming topic, partition, offset; earlier ones are committed",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "strict",
        autoOffsetReset: "earliest",
        logLevel: "SILENT",
        consumer: fastConsumer,
        handleSignals: false,
      });
      const input = app.topic<{ n: number }>("in");
      app.dataframe(input).apply((v) => {
        if (v.n === 3) throw new Error("n must not be 3");
        return v;
      }).toTopic(app.topic("out"));
      const producer = await app.getProducer();
      for (let n = 1; n <= 5; n++) producer.produce(input, { value: { n } });
      await producer.close();
      const err = await assertRejects(() => app.run(), ProcessingError, "in[0]@2");
      assert(err.message.includes("n must not be 3"), err.message);
      assertEquals((await committedOffsets(broker.address, "strict", "in"))[0], 2);
      assertEquals((await readTopic(broker.address, "out", 2)).length, 2);
    } finally {
      await broker.close();
    }
  },
});

Deno.test({
  name: "dead-letter topic gets failed messages with error headers; bad JSON included",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "dlq",
        autoOffsetReset: "earliest",
        logLevel: "SILENT",
        consumer: fastConsumer,
        handleSignals: false,
        deadLetterTopic: "failed",
      });
      const input = app.topic<{ n: number }>("in");
      app.dataframe(input).apply((v) => {
        if (v.n === 2) throw new Error("two is bad");
        return v;
      }).toTopic(app.topic("out"));
      const producer = await app.getProducer();
      producer.produce(input, { value: { n: 1 } });
      producer.produce(input, { value: { n: 2 } });
      await producer.flush();
      // A raw producer writes bad JSON into the same topic.
      const rawApp = new Application({ brokerAddress: broker.address, logLevel: "SILENT" });
      const raw = await rawApp.getProducer();
      raw.produce(rawApp.topic<string>("in", { valueSerializer: "string" }), {
        value: "{not json",
      });
      await raw.close();
      producer.produce(input, { value: { n: 4 } });
      await producer.close();
      const stop = new AbortController();
      const running = app.run({ signal: stop.signal });
      const out = await readTopic(broker.address, "out", 2);
      const dead = await readTopic(broker.address, "failed", 2);
      stop.abort();
      await running;
      assertEquals(out.map((r) => JSON.parse(r.value!).n), [1, 4]);
      assertEquals(dead.length, 2);
      assertEquals(dead[0].value, '{"n":2}');
      assertEquals(dead[1].value, "{not json");
      assertEquals(dead[1].headers["sa-error-offset"], "2");
      assert(dead[1].headers["sa-error"].includes("JSON"), dead[1].headers["sa-error"]);
      assertEquals(dead[0].headers["sa-error"], "two is bad");
      assertEquals(dead[0].headers["sa-error-topic"], "in");
      assertEquals(dead[0].headers["sa-error-partition"], "0");
      assertEquals(dead[0].headers["sa-error-offset"], "1");
    } finally {
      await broker.close();
    }
  },
});

for (const skip of [false, true]) {
  Deno.test({
    name: skip
      ? "onProducerError returning true skips a refused produce and keeps going"
      : "undeliverable output stops the app without committing its input",
    ...opts,
    async fn() {
      const broker = await startTestBroker({ logger: silent });
      try {
        const errors: string[] = [];
        const app = new Application({
          brokerAddress: broker.address,
          consumerGroup: "big",
          autoOffsetReset: "earliest",
          commitInterval: 100,
          logLevel: "SILENT",
          consumer: fastConsumer,
          handleSignals: false,
          onProducerError: (e) => {
            errors.push(e.message);
            return skip;
          },
        });
        const input = app.topic<{ n: number }>("in");
        // Larger than the broker's message size limit: the produce is refused.
        app.dataframe(input).apply((v) => ({ n: v.n, pad: "x".repeat(v.n === 2 ? 2_000_000 : 1) }))
          .toTopic(app.topic("out"));
        const producer = await app.getProducer();
        for (let n = 1; n <= 3; n++) producer.produce(input, { value: { n } });
        await producer.close();
        if (skip) {
          // The refused (oversized) message is skipped; the app keeps going and commits.
          const stop = new AbortController();
          const running = app.run({ signal: stop.signal });
          await waitFor(async () => (await committedOffsets(broker.address, "big", "in"))[0] === 3);
          const more = await app.getProducer();
          more.produce(input, { value: { n: 4 } });
          await more.close();
          // Requests are capped well below the size limit, so n=1 and n=3 travel apart from n=2.
          const out = await readTopic(broker.address, "out", 3);
          stop.abort();
          await running;
          assertEquals(out.map((r) => JSON.parse(r.value!).n), [1, 3, 4]);
          assertEquals((await committedOffsets(broker.address, "big", "in"))[0], 4);
        } else {
          await assertRejects(() => app.run(), Error, "delivery of");
          const committed = (await committedOffsets(broker.address, "big", "in"))[0];
          assert(committed === undefined || committed < 0, `committed ${committed}`);
        }
        assert(errors.length >= 1 && errors[0].includes("delivery of"), errors.join("; "));
      } finally {
        await broker.close();
      }
    },
  });
}

Deno.test({
  name: "onProcessingError returning true skips the message and keeps going",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      const skipped: string[] = [];
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "lenient",
        autoOffsetReset: "earliest",
        commitInterval: 100,
        logLevel: "SILENT",
        consumer: fastConsumer,
        handleSignals: false,
        onProcessingError: (e, origin) => {
          skipped.push(`${origin?.topic}[${origin?.partition}]@${origin?.offset}: ${e.message}`);
          return true;
        },
      });
      const input = app.topic<{ n: number }>("in");
      app.dataframe(input).apply((v) => {
        if (v.n === 3) throw new Error("n must not be 3");
        return v;
      }).toTopic(app.topic("out"));
      const producer = await app.getProducer();
      for (let n = 1; n <= 5; n++) producer.produce(input, { value: { n } });
      await producer.close();
      const stop = new AbortController();
      const running = app.run({ signal: stop.signal });
      const out = await readTopic(broker.address, "out", 4);
      stop.abort();
      await running;
      assertEquals(out.map((r) => JSON.parse(r.value!).n), [1, 2, 4, 5]);
      assertEquals(skipped.length, 1);
      assert(
        skipped[0].startsWith("in[0]@2: processing in[0]@2 failed: n must not be 3"),
        skipped[0],
      );
      assertEquals((await committedOffsets(broker.address, "lenient", "in"))[0], 5);
    } finally {
      await broker.close();
    }
  },
});

for (const mode of ["commitInterval: 0", "commitEvery: 2"] as const) {
  Deno.test({
    name: `${mode} commits while running, not only at shutdown`,
    ...opts,
    async fn() {
      const broker = await startTestBroker({ logger: silent });
      try {
        const app = new Application({
          brokerAddress: broker.address,
          consumerGroup: "eager",
          autoOffsetReset: "earliest",
          ...(mode === "commitInterval: 0"
            ? { commitInterval: 0 }
            : { commitInterval: 60_000, commitEvery: 2 }),
          logLevel: "SILENT",
          consumer: fastConsumer,
          handleSignals: false,
        });
        const input = app.topic<{ n: number }>("in");
        app.dataframe(input).toTopic(app.topic("out"));
        const producer = await app.getProducer();
        for (let n = 1; n <= 4; n++) producer.produce(input, { value: { n } });
        await producer.close();
        const stop = new AbortController();
        const running = app.run({ signal: stop.signal });
        await waitFor(
          async () => (await committedOffsets(broker.address, "eager", "in"))[0] === 4,
          10000,
          "commits before shutdown",
        );
        stop.abort();
        await running;
      } finally {
        await broker.close();
      }
    },
  });
}
