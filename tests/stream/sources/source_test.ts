import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import type { Source, SourceContext } from "../../../lib/stream/sources/source.ts";
import { fastConsumer, readTopic, silent, startTestBroker, waitFor } from "../integration/_util.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Counts 0..limit-1, resuming from its saved position; `started` records where it began. */
function counter(limit: number, started: number[], acked: number[] = []): Source {
  return {
    name: "counter",
    async run(ctx: SourceContext) {
      let n = ctx.state.get<number>("next") ?? 0;
      started.push(n);
      while (!ctx.signal.aborted && n < limit) {
        const sent = n;
        await ctx.produce({ key: "c", value: { n }, headers: { src: "counter" } });
        acked.push(sent);
        ctx.state.set("next", ++n);
        if (n % 50 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

Deno.test({
  name: "source: produces to its topic, resumes from checkpointed state after a stop",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const stateDir = await Deno.makeTempDir({ prefix: "sa-src-" });
    try {
      const make = () =>
        new Application({
          brokerAddress: broker.address,
          consumerGroup: "counter",
          stateDir,
          commitInterval: 100,
          logLevel: "WARN",
          handleSignals: false,
        });
      const started: number[] = [];
      const acked: number[] = [];
      const stop = new AbortController();
      const app1 = make();
      app1.addSource(counter(2000, started, acked), app1.topic("counts"));
      const run1 = app1.run({ signal: stop.signal });
      await waitFor(() => acked.length >= 300, 15000, "300 acked");
      stop.abort();
      await run1;
      const firstRun = acked.length;
      assert(firstRun < 2000, `the first run should stop early, sent ${firstRun}`);

      // The second run starts where the first one's final checkpoint left it, and finishes.
      const app2 = make();
      app2.addSource(counter(2000, started), app2.topic("counts"));
      await app2.run();
      assertEquals(started, [0, firstRun]);
      const records = await readTopic(broker.address, "counts", 2000);
      assertEquals(records.map((r) => JSON.parse(r.value!).n), [...Array(2000).keys()]);
      assertEquals(records[0].key, "c");
      assertEquals(records[0].headers.src, "counter");
    } finally {
      await broker.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "source: app.dataframe(source) processes what the source produces; a failure stops the app",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const stateDir = await Deno.makeTempDir({ prefix: "sa-src-" });
    try {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "doubler",
        stateDir,
        autoOffsetReset: "earliest",
        commitInterval: 100,
        logLevel: "SILENT",
        consumer: fastConsumer,
        handleSignals: false,
      });
      let produced = 0;
      const failing: Source = {
        name: "numbers",
        async run(ctx) {
          for (let n = 1; n <= 5; n++) {
            await ctx.produce({ key: String(n), value: { n } });
            produced++;
          }
          // Waits until the pipeline has seen all five, then fails.
          while (seen.length < 5) await new Promise((r) => setTimeout(r, 20));
          throw new Error("device unplugged");
        },
      };
      const seen: number[] = [];
      const sdf = app.dataframe<{ n: number }>(failing);
      sdf.update((v) => void seen.push(v.n * 2));
      const err = await assertRejects(() => app.run(), Error);
      assert(err.message.includes("source numbers failed: device unplugged"), err.message);
      assertEquals(produced, 5);
      assertEquals(seen, [2, 4, 6, 8, 10]);
      const records = await readTopic(broker.address, "source__numbers", 5);
      assertEquals(records.length, 5);
    } finally {
      await broker.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
