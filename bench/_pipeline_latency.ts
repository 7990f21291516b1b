/**
 * End-to-end latency at 1,000 msgs/s, as its own process (so a baseline tree runs the same
 * measurement against its own runtime): a producer paced like replay, normalize running in
 * its sandbox worker (as under `sa up`), a kafkajs consumer on the output; latency = receive
 * time − the input message's timestamp, which the runtime forwards to the output rows.
 * Prints one JSON line: {rows, rate, p50, p99, max}.
 *
 * Usage: deno run -A --unstable-worker-options _pipeline_latency.ts <broker> <seconds>
 *          <input-topic> <output-topic>
 * Environment names in BENCH_APP_ENV (comma-separated) are passed on to the app worker.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { demoLines } from "./_pipeline_data.ts";
import { Application } from "../mod.ts";
import { AppSandbox } from "../lib/runner/sandbox.ts";
import { sandboxGrant } from "../lib/runner/permissions.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function latency(address: string, seconds: number, input: string, output: string) {
  const root = new URL("../", import.meta.url);
  const lines = await demoLines(fileURLToPath(root));
  const entry = fileURLToPath(new URL("apps/normalize.ts", root));
  const app = await AppSandbox.load({
    name: "normalize",
    entry,
    grant: sandboxGrant({ entry, brokers: [address] }),
    onOutput: () => {},
  });
  const env: Record<string, string> = { SA_BROKER: address };
  for (const name of (Deno.env.get("BENCH_APP_ENV") ?? "").split(",").filter(Boolean)) {
    const v = Deno.env.get(name);
    if (v !== undefined) env[name] = v;
  }
  app.start({ input, output }, env);
  const k = new Kafka({ brokers: [address], clientId: "bench-lat", logLevel: logLevel.NOTHING });
  const consumer = k.consumer({
    groupId: `bench-lat-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  const latencies: number[] = [];
  let measuring = false;
  let warmRows = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: output, fromBeginning: false });
  await consumer.run({
    eachMessage: ({ message }) => {
      if (measuring) latencies.push(Date.now() - Number(message.timestamp));
      else warmRows++;
      return Promise.resolve();
    },
  });
  // The producer replay uses (the runtime's batching producer), stamping each message when
  // it is handed over, as replay does.
  const producerApp = new Application({
    brokerAddress: address,
    logLevel: "WARN",
    handleSignals: false,
  });
  const latIn = producerApp.topic<string, string>(input, { valueSerializer: "string" });
  const producer = await producerApp.getProducer();
  const send = (value: string) =>
    producer.produce(latIn, { key: "demo_stream.json", value, timestamp: Date.now() });
  // Warm-up: let normalize join its group and the consumer get its partition, until rows
  // flow end to end. The app's group ("normalize") is the same in every run on this broker:
  // a previous run's member may hold a rebalance until its session expires, and rows timed
  // meanwhile would measure that wait, not the pipeline.
  const warmUntil = Date.now() + 30_000;
  for (let sent = 0; warmRows === 0; sent++) {
    if (Date.now() > warmUntil) throw new Error("no output row within 30 s of warm-up");
    send(lines[sent % lines.length]);
    if (sent % 50 === 49) {
      await producer.flush();
      await sleep(250);
    }
  }
  await producer.flush();
  await sleep(2000);
  measuring = true;
  // 1,000 msgs/s: one message per ms on average, sent as they come due (like replay).
  const total = seconds * 1000;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = start + i - performance.now();
    if (wait > 1) await sleep(wait);
    send(lines[i % lines.length]);
  }
  await producer.flush();
  const rate = total / ((performance.now() - start) / 1000);
  await sleep(2000);
  measuring = false;
  await producer.close();
  await consumer.disconnect();
  await app.stop();
  return {
    rows: latencies.length,
    rate,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.length ? Math.max(...latencies) : NaN,
  };
}

if (import.meta.main) {
  const [address, seconds, input, output] = Deno.args;
  const r = await latency(address, Number(seconds), input, output);
  console.log(JSON.stringify(r));
  Deno.exit(0);
}
