/**
 * Realtime ML benchmark (`deno task bench:ml`).
 *
 * 1. models: each classifier kind on the demo recording (apps/activity_stream.json), seeds 1–5:
 *    held-out accuracy, training time, prediction time; the numbers behind the default kind.
 * 2. training time on the demo data: features from the recording plus training the default
 *    kind (what `sa ml train --file apps/activity_stream.json` does before publishing).
 * 3. the inference step alone (TestApp, no broker): predictions/s.
 * 4. the inference app (`sa run apps/inference.ts`, its own process) on the embedded broker
 *    (`sa broker`, its own process): throughput on a preloaded backlog (from its first
 *    prediction to its last, by the predictions' own times), latency at a paced 1,000 rows/s
 *    (produce time → prediction time, same clock), and the app process's memory (VmRSS, VmHWM).
 *
 * Usage: deno task bench:ml [--backlog N] [--seconds S] [--only models|app] [--spikes]
 * (`--spikes` lists the paced predictions slower than 20 ms as `ms-into-run:latency`)
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { TestApp } from "../lib/stream/testing.ts";
import { loadClassifierKinds } from "../lib/ml/classifier.ts";
import { labelledExamples, recordingFeatures } from "../lib/ml/dataset.ts";
import { FEATURE_NAMES, type FeatureRow } from "../lib/ml/features.ts";
import { inference, type Prediction } from "../lib/ml/inference.ts";
import { ModelRegistry } from "../lib/ml/registry.ts";
import { publishToModels, soleDeployment } from "../lib/ml/models_topic.ts";
import { trainModel } from "../lib/ml/training.ts";
import { filterKafkajsTimerWarning } from "../lib/stream/kafka/_kafka.ts";
import { num, percentile, table } from "./_util.ts";

filterKafkajsTimerWarning();
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "cli.ts");
const arg = (name: string, fallback: number) => {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
};
const ONLY = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : "";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await loadClassifierKinds();
const text = await Deno.readTextFile(join(ROOT, "apps/activity_stream.json"));
let t0 = performance.now();
const { features, segments } = recordingFeatures(text, "activity_stream.json");
const featureMs = performance.now() - t0;
const examples = labelledExamples(features, segments, FEATURE_NAMES);

if (ONLY === "" || ONLY === "models") {
  console.log(
    `\n1. models on the demo recording: ${examples.x.length} labelled windows, held-out split by ` +
      `segment (30%), seeds 1-5\n`,
  );
  const rows: string[][] = [];
  for (const kind of ["softmax", "decision-tree", "random-forest"]) {
    const acc: number[] = [], trainMs: number[] = [], predictUs: number[] = [];
    let majority = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const record = trainModel(examples, { kind, seed, version: 1, source: "bench" });
      acc.push(record.metrics.accuracy);
      majority += record.metrics.baselineAccuracy / 5;
      trainMs.push(record.metrics.trainMs);
      const model = new ModelRegistry("activity", () => {});
      model.apply("a@1", record, "bench");
      const c = model.serving!.variants[0].model.classifier;
      const t = performance.now();
      for (let i = 0; i < 20_000; i++) c.predict(examples.x[i % examples.x.length]);
      predictUs.push(((performance.now() - t) / 20_000) * 1000);
    }
    const mean = acc.reduce((a, b) => a + b, 0) / acc.length;
    rows.push([
      kind,
      `${num(mean * 100, 1)}%`,
      `${num(Math.min(...acc) * 100, 1)}%`,
      `${num(majority * 100, 1)}%`,
      num(percentile(trainMs, 50), 0),
      num(percentile(predictUs, 50), 2),
    ]);
  }
  console.log(table(
    ["kind", "accuracy (mean)", "min", "majority class", "train ms (median)", "predict µs"],
    rows,
  ));
  t0 = performance.now();
  const record = trainModel(examples, { version: 1, source: "bench" });
  const trainMs = performance.now() - t0;
  console.log(
    `\n2. training time on the demo data: features ${num(featureMs)} ms ` +
      `(${features.length} windows from ${text.split("\n").length - 1} messages) + training ` +
      `${record.kind} ${num(trainMs)} ms = ${num(featureMs + trainMs)} ms`,
  );
  // 3. The step alone.
  const registry = new ModelRegistry("activity", () => {});
  registry.apply("a@1", record, "bench");
  const app = new TestApp();
  const input = app.topic<FeatureRow>("features");
  const out = inference(app.dataframe(input), registry);
  let n = 0;
  out.served.tap(() => n++);
  const N = 100_000;
  t0 = performance.now();
  for (let i = 0; i < N; i++) app.push(input, features[i % features.length]);
  const s = (performance.now() - t0) / 1000;
  console.log(
    `\n3. inference step alone (no broker): ${num(n / s)} predictions/s (${num(N)} rows)`,
  );
}

function spawnLogged(args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) text += dec.decode(c, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  return {
    child,
    text: () => text,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await pumps;
    },
  };
}

async function memory(pid: number): Promise<{ rss: number; hwm: number }> {
  // sa run's process (the CLI and the app's worker); its children, if any, are added.
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

if (ONLY === "" || ONLY === "app") {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-ml-" });
  const broker = spawnLogged([
    "run",
    "-A",
    CLI,
    "broker",
    "--port",
    "0",
    "--data-dir",
    join(dataDir, "broker"),
    "--log-level",
    "info",
  ]);
  let appProc: ReturnType<typeof spawnLogged> | undefined;
  try {
    let m: RegExpExecArray | null = null;
    const end = Date.now() + 30_000;
    while (!(m = /listening on (127\.0\.0\.1:\d+)/.exec(broker.text()))) {
      if (Date.now() > end) throw new Error(`broker did not start:\n${broker.text()}`);
      await sleep(20);
    }
    const address = m[1];
    const kafka = new Kafka({
      brokers: [address],
      clientId: "bench-ml",
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: ["features", "predictions", "predictions-shadow", "alerts"].map((topic) => ({
        topic,
        numPartitions: 1,
      })),
      waitForLeaders: true,
    });
    await admin.disconnect();
    const record = trainModel(examples, { version: 1, source: "bench" });
    await publishToModels(kafka, "models", [record, soleDeployment("activity", 1)]);
    const producer = kafka.producer();
    await producer.connect();
    const backlog = arg("backlog", 50_000);
    const rowAt = (i: number, ingestMs: number) =>
      JSON.stringify({ ...features[i % features.length], start: i, ingestMs });
    for (let i = 0; i < backlog; i += 500) {
      const messages = [];
      for (let j = i; j < Math.min(backlog, i + 500); j++) {
        messages.push({ key: `d${j % 50}`, value: rowAt(j, 0) });
      }
      await producer.send({ topic: "features", messages });
    }
    appProc = spawnLogged(
      [
        "run",
        "-A",
        "--unstable-worker-options",
        CLI,
        "run",
        join(ROOT, "apps/inference.ts"),
        "--broker",
        address,
      ],
      { SA_STATE_DIR: join(dataDir, "state"), SA_LOG_LEVEL: "WARN", NO_COLOR: "1" },
    );
    // Read predictions as they come.
    const predictions: Prediction[] = [];
    const consumer = kafka.consumer({ groupId: "bench-reader", maxWaitTimeInMs: 10 });
    await consumer.connect();
    await consumer.subscribe({ topic: "predictions", fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const msg of batch.messages) predictions.push(JSON.parse(msg.value!.toString()));
        await Promise.resolve();
      },
    });
    const until = async (n: number, timeoutMs: number) => {
      const end = Date.now() + timeoutMs;
      while (predictions.length < n) {
        if (Date.now() > end) {
          throw new Error(`${predictions.length}/${n} predictions; app log:\n${appProc!.text()}`);
        }
        await sleep(50);
      }
    };
    await until(backlog, 300_000);
    const first = predictions[0].predictedAt, last = predictions[backlog - 1].predictedAt;
    const memAfterBacklog = await memory(appProc.child.pid);
    console.log(
      `\n4. inference app (sa run apps/inference.ts, own process) on the embedded broker:\n` +
        `   backlog of ${num(backlog)} feature rows: ${num(backlog / ((last - first) / 1000))} ` +
        `predictions/s (first to last prediction, ${num(last - first)} ms)`,
    );
    // Paced: 1,000 rows/s in 10 ms batches of 10, each stamped with its send time.
    const seconds = arg("seconds", 10);
    const paced = seconds * 1000;
    const start = performance.now();
    for (let i = 0; i < paced; i += 10) {
      const due = start + i;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const now = Date.now();
      const messages = [];
      for (let j = i; j < i + 10; j++) {
        messages.push({ key: `d${j % 50}`, value: rowAt(backlog + j, now) });
      }
      await producer.send({ topic: "features", messages });
    }
    await until(backlog + paced, 60_000);
    const lat = predictions.slice(backlog).map((p) => p.latencyMs!);
    if (Deno.args.includes("--spikes")) {
      const t0 = predictions[backlog].predictedAt;
      console.log(
        predictions.slice(backlog).filter((p) => p.latencyMs! > 20)
          .map((p) => `${p.predictedAt - t0}:${p.latencyMs}`).join(" "),
      );
    }
    const achieved = paced / ((performance.now() - start) / 1000);
    const mem = await memory(appProc.child.pid);
    console.log(
      `   paced ${num(achieved)} rows/s for ${seconds} s: latency (send → prediction) ` +
        `p50 ${num(percentile(lat, 50), 1)} ms, p99 ${num(percentile(lat, 99), 1)} ms, ` +
        `max ${num(Math.max(...lat), 1)} ms`,
    );
    console.log(
      `   memory of the app process: ${num(memAfterBacklog.rss)} MB RSS after the backlog, ` +
        `${num(mem.rss)} MB after the paced run, peak ${num(mem.hwm)} MB`,
    );
    await consumer.disconnect();
    await producer.disconnect();
  } finally {
    await appProc?.stop();
    await broker.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}
