import { assert, assertEquals } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { MemoryStateBackend } from "../../../lib/stream/state/memory.ts";
import { fastConsumer, readTopic, silent, startTestBroker, waitFor } from "./_util.ts";

function makeApp(address: string, seen: Set<string>, name: string): Application {
  const app = new Application({
    brokerAddress: address,
    consumerGroup: "shared",
    autoOffsetReset: "earliest",
    commitInterval: 100,
    logLevel: "SILENT",
    consumer: fastConsumer,
    handleSignals: false,
    clientId: name,
    stateBackend: new MemoryStateBackend(),
  });
  const input = app.topic<{ n: number }>("jobs", { config: { numPartitions: 2 } });
  app.dataframe(input).update((v) => void seen.add(`${name}:${v.n}`)).toTopic(app.topic("done"));
  return app;
}

Deno.test({
  name: "two instances share partitions; when one stops the other takes over, nothing is lost",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      const seen = new Set<string>();
      const a = makeApp(broker.address, seen, "a");
      const b = makeApp(broker.address, seen, "b");
      const producer = await a.getProducer();
      const produce = async (from: number, to: number) => {
        for (let n = from; n < to; n++) {
          producer.produce(a.topic("jobs"), { key: `k${n}`, value: { n } });
        }
        await producer.flush();
      };
      await produce(0, 20);
      const stopA = new AbortController();
      const stopB = new AbortController();
      const runA = a.run({ signal: stopA.signal });
      await waitFor(() => seen.size >= 20, 15000, "a to process the first batch");
      const runB = b.run({ signal: stopB.signal });
      // Keep producing until both instances have processed something (they share the partitions).
      let n = 20;
      await waitFor(
        async () => {
          await produce(n, n + 5);
          n += 5;
          return [...seen].some((s) => s.startsWith("b:"));
        },
        20000,
        "b to get a partition",
      );
      stopA.abort();
      await runA;
      const before = n;
      await produce(n, n + 20);
      n += 20;
      await waitFor(
        () => [...seen].filter((s) => s.startsWith("b:")).length > 0 && covers(seen, n),
        20000,
        "b to take over",
      );
      stopB.abort();
      await runB;
      await producer.close();
      const out = await readTopic(broker.address, "done", n);
      const values = new Set(out.map((r) => JSON.parse(r.value!).n));
      for (let i = 0; i < n; i++) assert(values.has(i), `output for ${i} missing`);
      // After a's stop, everything new went through b.
      for (let i = before; i < n; i++) assert(seen.has(`b:${i}`), `b did not process ${i}`);
      assertEquals(values.size, n);
    } finally {
      await broker.close();
    }
  },
});

function covers(seen: Set<string>, n: number): boolean {
  const got = new Set([...seen].map((s) => Number(s.slice(2))));
  for (let i = 0; i < n; i++) if (!got.has(i)) return false;
  return true;
}
