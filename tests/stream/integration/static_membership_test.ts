import { assert } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { MemoryStateBackend } from "../../../lib/stream/state/memory.ts";
import { silent, startTestBroker, waitFor } from "./_util.ts";
import { Kafka, logLevel } from "kafkajs";

const fixture = new URL("./fixtures/static_app.ts", import.meta.url).pathname;
/** The app's session timeout: without static membership the restart waits this long. */
const SESSION_MS = 30_000;

function spawnApp(address: string, instanceId: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../../../deno.json", import.meta.url).pathname,
      fixture,
      address,
    ],
    env: { SA_KAFKA_CLIENT: "native", SA_GROUP_INSTANCE_ID: instanceId },
    stdout: "null",
    stderr: "null",
  }).spawn();
}

async function produce(address: string, from: number, to: number): Promise<void> {
  const seed = new Application({
    brokerAddress: address,
    logLevel: "SILENT",
    stateBackend: new MemoryStateBackend(),
  });
  const producer = await seed.getProducer();
  const topic = seed.topic<{ n: number }>("static-in", { config: { numPartitions: 2 } });
  for (let n = from; n < to; n++) producer.produce(topic, { key: `k${n}`, value: { n } });
  await producer.close();
}

/** The distinct `n` in `static-out` (a killed run's uncommitted input is processed again). */
async function outputs(address: string): Promise<Set<number>> {
  const kafka = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let high = 0;
  try {
    if (!(await admin.listTopics()).includes("static-out")) return new Set();
    high = (await admin.fetchTopicOffsets("static-out")).reduce((s, p) => s + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
  const seen = new Set<number>();
  if (high === 0) return seen;
  const consumer = kafka.consumer({ groupId: `check-${crypto.randomUUID()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: ["static-out"], fromBeginning: true });
    let got = 0;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000);
      consumer.run({
        eachMessage: ({ message }) => {
          seen.add(JSON.parse(message.value!.toString()).n);
          if (++got >= high) {
            clearTimeout(t);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

Deno.test({
  name:
    "static membership: a replica killed with -9 and restarted with its SA_GROUP_INSTANCE_ID takes its partitions back long before its session times out",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const apps: Deno.ChildProcess[] = [];
    try {
      await produce(broker.address, 0, 20);
      apps.push(spawnApp(broker.address, "static-app#1"));
      await waitFor(
        async () => (await outputs(broker.address)).size === 20,
        30_000,
        "the first run",
      );
      apps[0].kill("SIGKILL");
      await apps[0].status;

      const restarted = Date.now();
      apps.push(spawnApp(broker.address, "static-app#1"));
      await produce(broker.address, 20, 40);
      // Half the session timeout: a dynamic member's restart would wait for the killed member's
      // session to expire (30 s) before the group could hand its partitions out again.
      await waitFor(
        async () => (await outputs(broker.address)).size === 40,
        SESSION_MS / 2,
        "the restarted replica to process new input before the old session expired",
      );
      assert(Date.now() - restarted < SESSION_MS, "processed before the session timeout");
    } finally {
      for (const a of apps) {
        try {
          a.kill("SIGKILL");
        } catch { /* exited */ }
        await a.status;
      }
      await broker.close();
    }
  },
});
