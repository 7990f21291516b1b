import { assert, assertEquals } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { committedOffsets, fastConsumer, readTopic, silent, startTestBroker } from "./_util.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

// Many small batches and a stop in the middle of one: offsets must cover exactly the
// processed input, and the fetch position must never move back (duplicates) or skip (losses).
// (It guarded an experiment that processed a batch while fetching the next one; that was
// reverted as it measured no faster, but the property holds for any batching scheme.)
Deno.test({
  name: "small batches, stop mid-stream: no gap, no repeat, commits cover exactly the output",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "pipelined",
        autoOffsetReset: "earliest",
        commitInterval: 100,
        logLevel: "WARN",
        // Tiny fetches: many small batches, each processed while the next one is fetched.
        consumer: { ...fastConsumer, maxBytesPerPartition: 512 },
        handleSignals: false,
      });
      const input = app.topic<{ n: number }>("in");
      const output = app.topic<{ n: number }>("out");
      let seen = 0;
      const stop = new AbortController();
      app.dataframe(input).update(() => {
        // Slow enough that fetches overlap processing; stop in the middle of the stream.
        const until = performance.now() + 1;
        while (performance.now() < until) { /* busy */ }
        if (++seen === 150) stop.abort();
      }).toTopic(output);
      const producer = await app.getProducer();
      for (let n = 0; n < 300; n++) {
        producer.produce(input, { key: "k", value: { n } });
        // Separate record batches, so fetches of 512 bytes return a few messages each.
        if (n % 5 === 4) await producer.flush();
      }
      await producer.close();
      await app.run({ signal: stop.signal });

      const committed = (await committedOffsets(broker.address, "pipelined", "in"))[0] ?? 0;
      assert(committed >= 150 && committed < 300, `committed ${committed}`);
      // Every processed message is in the output exactly once and in order, and the commit
      // is exactly what was processed (the graceful stop's checkpoint).
      const rows = await readTopic(broker.address, "out", committed);
      assertEquals(rows.map((r) => JSON.parse(r.value!).n), [...Array(committed).keys()]);
      assertEquals(seen, committed);

      // A restart continues from the commit: the rest arrives, nothing twice.
      const again = new Application({
        brokerAddress: broker.address,
        consumerGroup: "pipelined",
        autoOffsetReset: "earliest",
        logLevel: "WARN",
        consumer: { ...fastConsumer, maxBytesPerPartition: 512 },
        handleSignals: false,
      });
      again.dataframe(again.topic<{ n: number }>("in")).toTopic(again.topic("out"));
      const stop2 = new AbortController();
      const running = again.run({ signal: stop2.signal });
      const all = await readTopic(broker.address, "out", 300);
      stop2.abort();
      await running;
      assertEquals(all.map((r) => JSON.parse(r.value!).n), [...Array(300).keys()]);
    } finally {
      await broker.close();
    }
  },
});
