// Episode 4 end to end on the embedded broker: the CLI trains from a recording, the features,
// inference and KPI apps run (in-process Applications), a second training hot-swaps to an
// A/B pair with a shadow while data flows, then report and promote.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { Application } from "../../lib/stream/application.ts";
import {
  activityFeatures,
  deviceReadings,
  type FeatureRow,
  type SensorLoggerMessage,
} from "../../lib/ml/features.ts";
import { labelSegments } from "../../lib/ml/labels.ts";
import { recordingFeatures } from "../../lib/ml/dataset.ts";
import { inference, type Prediction } from "../../lib/ml/inference.ts";
import { ModelRegistry } from "../../lib/ml/registry.ts";
import { watchModels } from "../../lib/ml/model_watch.ts";
import { kpiService } from "../../lib/ml/kpi_service.ts";
import { readModels } from "../../lib/ml/models_topic.ts";
import { command as ml } from "../../lib/cli/ml.ts";
import { generateActivityStream, toJsonLines } from "../../scripts/gen_demo_stream.ts";
import { kafka, produceLines, tempBroker } from "../apps/_helpers.ts";
import { runCommand } from "../cli/_helpers.ts";
import { readTopic } from "../stream/integration/_util.ts";

const fast = {
  sessionTimeout: 6000,
  heartbeatInterval: 500,
  rebalanceTimeout: 6000,
  maxWaitTimeInMs: 100,
};

let appStopped: () => string[] = () => [];

async function until(
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
) {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (appStopped().length) throw new Error(appStopped().join("; "));
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("episode 4 on the broker: train, serve, hot swap to A/B + shadow, KPIs, report, promote", async () => {
  const broker = await tempBroker();
  const dir = await Deno.makeTempDir({ prefix: "sa-ml-" });
  const stop = new AbortController();
  const running: Promise<void>[] = [];
  // An app that stops before the test ends is reported by the next wait, with its error.
  const stopped: string[] = [];
  const watchApp = (name: string, run: Promise<void>) =>
    run.then(
      () => void (stop.signal.aborted || stopped.push(`${name} returned`)),
      (e) => void stopped.push(`${name} failed: ${(e as Error).message}`),
    );
  appStopped = () => stopped;
  const closers: Array<() => Promise<void>> = [];
  try {
    const address = broker.address;
    const recording = join(dir, "train.json");
    await Deno.writeTextFile(
      recording,
      toJsonLines(generateActivityStream({ devices: 3, seconds: 90 })),
    );
    // 1. Train v1 once from the recording.
    const t1 = await runCommand(ml, ["train", "--file", recording, "--broker", address], dir);
    assert.equal(t1.code, 0, t1.stderr);
    assert.match(t1.stdout, /^activity v1 \(softmax, seed 1\): held-out accuracy/);
    assert.match(t1.stderr, /published activity@1 to models; now serving v1/);

    const app = (group: string) =>
      new Application({
        brokerAddress: address,
        consumerGroup: group,
        autoOffsetReset: "earliest",
        commitInterval: 200,
        logLevel: "SILENT",
        consumer: fast,
        handleSignals: false,
        stateDir: join(dir, "state"),
      });
    // 2. The features app.
    const features = app("features");
    const readings = deviceReadings(
      features.dataframe(features.topic<SensorLoggerMessage>("raw-activity")),
    );
    activityFeatures(readings).toTopic(features.topic<FeatureRow>("features"));
    labelSegments(readings).toTopic(features.topic("labels"));
    running.push(watchApp("features", features.run({ signal: stop.signal })));
    // 3. The inference app.
    const infer = app("inference");
    const registry = new ModelRegistry("activity", () => {});
    const watch = await watchModels(address, "models", registry);
    closers.push(() => watch.stop());
    assert.equal(registry.serving?.variants[0].version, 1);
    const v1Record = () => registry.models.get(1)!.record;
    const out = inference(infer.dataframe(infer.topic<FeatureRow>("features")), registry);
    out.served.toTopic(infer.topic("predictions"));
    out.shadow.toTopic(infer.topic("predictions-shadow"));
    out.alerts.toTopic(infer.topic("alerts"));
    running.push(watchApp("inference", infer.run({ signal: stop.signal })));
    // 4. The KPI app.
    const kpiApp = app("model-kpis");
    const kpiRegistry = new ModelRegistry("activity", () => {});
    const kpiWatch = await watchModels(address, "models", kpiRegistry);
    closers.push(() => kpiWatch.stop());
    const kpis = await kpiService(kpiApp, {
      predictions: "predictions",
      shadow: "predictions-shadow",
      labels: "labels",
      features: "features",
      kpis: "model-kpis",
    }, kpiRegistry);
    closers.push(() => kpis.close());
    running.push(watchApp("model-kpis", kpiApp.run({ signal: stop.signal })));

    // 5. Phones stream: the first half, scored by v1.
    const lines = toJsonLines(generateActivityStream({ devices: 4, seconds: 60, seed: 21 }))
      .trim().split("\n");
    const half = Math.floor(lines.length / 2);
    const producer = kafka(address).producer();
    await producer.connect();
    closers.push(() => producer.disconnect());
    // A corrupt record and an incompatible one on models: refused, named by offset; v1 stays.
    await producer.send({
      topic: "models",
      messages: [
        { key: "activity@9", value: "{oops" },
        { key: "activity@9", value: JSON.stringify({ ...v1Record(), version: 9, schema: "x-v0" }) },
      ],
    });
    await until("the refusals", () => registry.refusals.length === 2);
    assert.deepEqual(registry.refusals.map((r) => r.offset), ["models[0]@2", "models[0]@3"]);
    assert.match(registry.refusals[0].reason, /^not JSON/);
    assert.match(registry.refusals[1].reason, /feature schema "x-v0" is not this build's/);
    assert.equal(registry.serving?.variants[0].version, 1);
    await produceLines(producer, "raw-activity", "phones", lines.slice(0, half));
    await until("v1 predictions", () => out.counters.scored > 40);
    // 6. Hot swap: an A/B pair (softmax, random forest) and a shadow (a tree), mid-stream. The
    // refused v9 still counts for numbering (a version number is never reused): v10, v11, v12.
    const t2 = await runCommand(ml, [
      "train",
      "--file",
      recording,
      "--broker",
      address,
      "--kinds",
      "softmax,random-forest",
      "--weights",
      "1,1",
      "--shadow",
      "decision-tree",
    ], dir);
    assert.equal(t2.code, 0, t2.stderr);
    assert.match(t2.stderr, /now serving v10×1 v11×1, shadow v12/);
    await until("the swap", () => registry.serving?.variants.length === 2);
    await produceLines(producer, "raw-activity", "phones", lines.slice(half));

    // Every feature window gets exactly one served prediction: as many as the same feature
    // step makes of the same lines without a broker.
    const expected = recordingFeatures(lines.join("\n")).features.length;
    let featureCount = -1;
    await until(
      () =>
        `${expected} predictions: ${JSON.stringify(out.counters)}, features topic ${featureCount}`,
      async () => {
        featureCount = (await readTopic(address, "features", expected + 1, 500)).length;
        return out.counters.scored >= expected;
      },
    );
    // Read until the expected count (a loaded machine may take a while), then check that the
    // topic holds no more than that (at-least-once, no transactions: offsets are contiguous).
    const predictions = (await readTopic(address, "predictions", expected, 30_000))
      .map((r) => JSON.parse(r.value!) as Prediction);
    assert.equal(predictions.length, expected);
    assert.equal(await storedCount(address, "predictions"), expected);
    assert.equal(out.counters.scored, expected);
    const ids = new Set(predictions.map((p) => `${p.deviceId}@${p.start}`));
    assert.equal(ids.size, expected, "one prediction per feature window");
    // v1 until the swap, then only the A/B pair; the shadow never served.
    const swap = predictions.findIndex((p) => p.version !== 1);
    assert.ok(swap > 40, `swap at ${swap}`);
    assert.ok(predictions.slice(swap).every((p) => p.version === 10 || p.version === 11));
    const after = predictions.slice(swap);
    assert.ok(after.length > 40);
    assert.ok(predictions.every((p) => p.version !== 4 && p.served), "shadow never served");
    // Sticky: one device, one variant after the swap.
    for (const d of new Set(after.map((p) => p.deviceId))) {
      assert.equal(new Set(after.filter((p) => p.deviceId === d).map((p) => p.version)).size, 1);
    }
    const shadow = (await readTopic(address, "predictions-shadow", after.length, 30_000))
      .map((r) => JSON.parse(r.value!) as Prediction);
    assert.equal(shadow.length, after.length);
    assert.equal(await storedCount(address, "predictions-shadow"), after.length);
    assert.ok(shadow.every((p) => p.version === 12 && !p.served));
    assert.ok(predictions.every((p) => p.latencyMs !== null && p.latencyMs >= 0));

    // 7. KPIs once the labels are in, then the report and promotion.
    await until("labelled predictions", () => {
      const scored = kpis.tracker.snapshot(Date.now()).map((r) => r.accuracy.scored);
      return scored.length === 4 && scored.every((n) => n > 0);
    });
    const records = await kpis.publish();
    assert.deepEqual(records.map((r) => r.variant).sort(), ["v1", "v10", "v11", "v12-shadow"]);
    assert.match(
      kpis.metrics(),
      /sa_ml_accuracy\{variant="v11",version="11",served="true"\} [0-9.]+/,
    );
    const report = await runCommand(ml, ["report", "--broker", address], dir);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /^VARIANT +SERVED +PREDICTIONS +LABELLED +ACCURACY/);
    assert.match(report.stdout, /^v12-shadow +shadow/m);
    assert.match(report.stdout, /(is ahead of|leads|only)/);
    const promote = await runCommand(ml, ["promote", "--version", "11", "--broker", address], dir);
    assert.equal(promote.code, 0, promote.stderr);
    await until("promotion", () => registry.serving?.variants.length === 1);
    assert.equal(registry.serving!.variants[0].version, 11);
    assert.deepEqual(registry.serving!.shadows, []);
    const state = await readModels(kafka(address), "models", "activity");
    assert.deepEqual([...state.models.keys()].sort((a, b) => a - b), [1, 9, 10, 11, 12]);
    assert.equal(state.deployment?.default, 11);
    const models = await runCommand(ml, ["models", "--broker", address], dir);
    assert.match(models.stdout, /^ *12 +decision-tree/m);
    assert.match(models.stdout, /^ *9 +unusable: feature schema "x-v0" is not this build's/m);
    const bad = await runCommand(ml, ["deploy", "--variant", "9=1", "--broker", address], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /activity v9 cannot serve: feature schema "x-v0"/);
    assert.match(models.stdout, /serving: v11\n$/);
  } finally {
    stop.abort();
    await Promise.allSettled(running);
    for (const c of closers.reverse()) await c().catch(() => {});
    await broker.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Records stored in `topic`: the sum of its partitions' high watermarks minus low ones. */
async function storedCount(address: string, topic: string): Promise<number> {
  const admin = new Kafka({ brokers: [address], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}
