import { assert, assertEquals } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { TestApp } from "../../../lib/stream/testing.ts";
import { BatchingSink, type SinkBatch } from "../../../lib/stream/sinks/batching_sink.ts";
import { SinkBackpressureError } from "../../../lib/stream/sinks/backpressure.ts";
import {
  committedOffsets,
  fastConsumer,
  silent,
  startTestBroker,
  waitFor,
} from "../integration/_util.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

class Recorder extends BatchingSink<number> {
  batches: Array<{ tp: string; start: number; values: number[] }> = [];
  failNext = 0;
  setups = 0;
  setup() {
    this.setups++;
  }
  write(batch: SinkBatch<number>) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new SinkBackpressureError(150, "test destination is busy");
    }
    this.batches.push({
      tp: `${batch.topic}[${batch.partition}]`,
      start: batch.startOffset,
      values: batch.items.map((i) => i.value),
    });
  }
}

Deno.test("BatchingSink: one batch per partition per checkpoint; a failed write keeps its rows", async () => {
  const app = new TestApp();
  const input = app.topic<number>("in");
  const sink = new Recorder();
  app.dataframe(input).sink(sink);
  app.push(input, 1, { partition: 0 });
  app.push(input, 2, { partition: 1 });
  app.push(input, 3, { partition: 0 });
  await app.checkpoint();
  assertEquals(sink.batches, [
    { tp: "in[0]", start: 0, values: [1, 3] },
    { tp: "in[1]", start: 0, values: [2] },
  ]);
  sink.batches = [];
  sink.failNext = 1;
  app.push(input, 4, { partition: 0 });
  let failed = false;
  await app.checkpoint().catch(() => failed = true);
  assert(failed);
  assertEquals(sink.buffered, 1);
  app.push(input, 5, { partition: 0 });
  await app.checkpoint();
  assertEquals(sink.batches, [{ tp: "in[0]", start: 2, values: [4, 5] }]);
  assertEquals(sink.buffered, 0);
});

Deno.test("SinkBatch.chunks splits in order", () => {
  const sink = new Recorder();
  for (let i = 0; i < 5; i++) {
    sink.add({ value: i, key: null, timestamp: 0, headers: {} }, {
      topic: "t",
      partition: 0,
      offset: i,
    });
  }
  let got: number[][] = [];
  sink.write = (b) => void (got = [...b.chunks(2)].map((c) => c.map((i) => i.value)));
  sink.flush();
  assertEquals(got, [[0, 1], [2, 3], [4]]);
});

Deno.test({
  name: "sink backpressure: input paused, checkpoint retried, every row written once committed",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const stateDir = await Deno.makeTempDir({ prefix: "sa-sink-" });
    try {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "bp",
        stateDir,
        autoOffsetReset: "earliest",
        commitInterval: 50,
        logLevel: "SILENT",
        consumer: fastConsumer,
        handleSignals: false,
      });
      const input = app.topic<number>("nums");
      const sink = new Recorder();
      sink.failNext = 3;
      app.dataframe(input).sink(sink);
      const producer = await app.getProducer();
      for (let n = 0; n < 500; n++) producer.produce(input, { key: "k", value: n });
      await producer.close();
      const stop = new AbortController();
      const run = app.run({ signal: stop.signal });
      await waitFor(async () => (await committedOffsets(broker.address, "bp", "nums"))[0] === 500);
      stop.abort();
      await run;
      assertEquals(sink.setups, 1);
      assertEquals(sink.failNext, 0);
      assertEquals(sink.batches.flatMap((b) => b.values), [...Array(500).keys()]);
    } finally {
      await broker.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
