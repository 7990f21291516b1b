import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { Kafka, logLevel } from "kafkajs";
import { Application } from "../../../lib/stream/application.ts";
import { fastConsumer, readTopic, silent, startTestBroker } from "../integration/_util.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** A running sum per key; emits `{key, total}` for every input. */
function odometer(address: string, stateDir: string) {
  const app = new Application({
    brokerAddress: address,
    consumerGroup: "odo",
    autoOffsetReset: "earliest",
    commitInterval: 100,
    logLevel: "WARN",
    consumer: fastConsumer,
    handleSignals: false,
    stateDir,
  });
  const input = app.topic<{ n: number }>("numbers", { config: { numPartitions: 2 } });
  const output = app.topic<{ total: number }>("totals");
  app.dataframe(input).apply((v, state) => {
    const total = (state.get<number>("total", 0) ?? 0) + v.n;
    state.set("total", total);
    return { total };
  }, { stateful: true }).toTopic(output);
  return { app, input };
}

async function produce(address: string, from: number, to: number) {
  const { app, input } = odometer(address, "unused");
  const p = await app.getProducer();
  for (let n = from; n <= to; n++) p.produce(input, { key: `k${n % 3}`, value: { n } });
  await p.close();
}

/** Runs until `count` outputs exist in total, then stops gracefully. */
async function runUntil(address: string, stateDir: string, count: number) {
  const { app } = odometer(address, stateDir);
  const stop = new AbortController();
  const running = app.run({ signal: stop.signal });
  const rows = await readTopic(address, "totals", count);
  stop.abort();
  await running;
  return rows;
}

function finalTotals(
  rows: { key: string | null; value: string | null; offset: number; partition: number }[],
) {
  const last = new Map<string, number>();
  for (const r of [...rows].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    last.set(r.key!, JSON.parse(r.value!).total);
  }
  return Object.fromEntries([...last].sort());
}

function expected(upTo: number) {
  const t: Record<string, number> = { k0: 0, k1: 0, k2: 0 };
  for (let n = 1; n <= upTo; n++) t[`k${n % 3}`] += n;
  return t;
}

Deno.test({
  name: "state survives a deleted state dir: the store is rebuilt from its changelog",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const dir = await Deno.makeTempDir();
    try {
      await produce(broker.address, 1, 40);
      const first = await runUntil(broker.address, dir, 40);
      assertEquals(finalTotals(first), expected(40));
      const parts = [...Deno.readDirSync(`${dir}/odo/default/numbers`)].map((e) => e.name);
      assert(parts.length > 0, "stateDir/<group>/<store>/<topic>/<partition>");

      const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      const topics = await admin.listTopics();
      const meta = await admin.fetchTopicMetadata({ topics: ["changelog__odo--numbers--default"] });
      await admin.disconnect();
      assert(topics.includes("changelog__odo--numbers--default"), topics.join(","));
      assertEquals(
        meta.topics[0].partitions.length,
        2,
        "changelog has the source's partition count",
      );

      await Deno.remove(dir, { recursive: true });
      await produce(broker.address, 41, 50);
      const all = await runUntil(broker.address, dir, 50);
      assertEquals(all.length, 50, "no input is reprocessed");
      assertEquals(finalTotals(all), expected(50));
    } finally {
      await broker.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
