import { assert } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { MemoryStateBackend } from "../../../lib/stream/state/memory.ts";
import { committedOffsets, readTopic, silent, startTestBroker, waitFor } from "./_util.ts";
import { Kafka, logLevel } from "kafkajs";

const N = 2000;
const fixture = new URL("./fixtures/crash_app.ts", import.meta.url).pathname;

async function outputCount(address: string): Promise<number> {
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes("crash-out")) return 0;
    return (await admin.fetchTopicOffsets("crash-out")).reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function spawnApp(address: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../../../deno.json", import.meta.url).pathname,
      fixture,
      address,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** Produces the N input rows `{n}` to `crash-in`. */
async function seedInput(address: string): Promise<void> {
  const seed = new Application({
    brokerAddress: address,
    logLevel: "SILENT",
    stateBackend: new MemoryStateBackend(),
  });
  const producer = await seed.getProducer();
  for (let n = 0; n < N; n++) {
    producer.produce(seed.topic<{ n: number }>("crash-in"), { value: { n } });
  }
  await producer.close();
}

Deno.test({
  name: "kill -9 mid-stream, restart: every output row is present (at-least-once)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      await seedInput(broker.address);

      const first = spawnApp(broker.address);
      await waitFor(
        async () => (await outputCount(broker.address)) >= N / 4,
        30000,
        "first run to get going",
      );
      first.kill("SIGKILL");
      const status = await first.status;
      assert(!status.success, "the first run was killed");
      const killedAt = await outputCount(broker.address);
      assert(killedAt < N, `killed too late (${killedAt} rows)`);

      const second = spawnApp(broker.address);
      try {
        // Offsets are committed only after their outputs are acknowledged: once all input is
        // committed, every output must be in the topic.
        await waitFor(
          async () => (await committedOffsets(broker.address, "crash", "crash-in"))[0] === N,
          40000,
          "the restarted app to commit all input",
        );
      } finally {
        second.kill("SIGTERM");
        await second.status;
      }
      // At-least-once repeats rows: read all of them, not the first N (the repeats may push
      // some values past the first N rows).
      const total = await outputCount(broker.address);
      assert(total >= N, `only ${total} output rows`);
      const rows = await readTopic(broker.address, "crash-out", total, 3000);
      const values = new Set(rows.map((r) => JSON.parse(r.value!).n));
      for (let n = 0; n < N; n++) assert(values.has(n), `row ${n} lost`);
    } finally {
      await broker.close();
    }
  },
});

Deno.test({
  name: "SIGINT stops gracefully: the process exits 0 after committing what it processed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    try {
      await seedInput(broker.address);
      const app = spawnApp(broker.address);
      await waitFor(async () => (await outputCount(broker.address)) >= N / 10, 30000, "output");
      app.kill("SIGINT");
      const status = await app.status;
      assert(status.success, `exit code ${status.code}`);
      const committed = (await committedOffsets(broker.address, "crash", "crash-in"))[0];
      const outputs = await outputCount(broker.address);
      assert(committed > 0 && committed < N, `committed ${committed}`);
      // Everything committed has its output in the topic (outputs flushed before the commit).
      assert(outputs >= committed, `${outputs} outputs for ${committed} committed inputs`);
    } finally {
      await broker.close();
    }
  },
});
