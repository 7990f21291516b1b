/**
 * The `train` app's loop: follows the `features` and `labels` topics from the start, and trains
 * and publishes as soon as enough labelled windows are there (then again after every
 * `retrainAfter` more, when set), so a running pipeline gets a model, then better ones, with no
 * one running a command.
 *
 * @module
 */
import { createKafka, resolveBrokerAddress } from "../stream/kafka/_kafka.ts";
import { Logger } from "../util/log.ts";
import { loadClassifierKinds } from "./classifier.ts";
import { labelledExamples } from "./dataset.ts";
import { FEATURE_NAMES, type FeatureRow } from "./features.ts";
import type { LabelSegment } from "./labels.ts";
import { trainAndPublish, type TrainPlan } from "./train_job.ts";
import { followTopic, jsonValue } from "./topic_reader.ts";
import { formatMetrics } from "./training.ts";

/** Options of {@link runTrainService}. */
export interface TrainServiceOptions {
  /** Default: `SA_BROKER`, `Quix__Broker__Address`, localhost:19092. */
  brokerAddress?: string;
  /** Topic of feature rows. */
  featuresTopic: string;
  /** Topic of label segments. */
  labelsTopic: string;
  /** Topic models are published to. */
  modelsTopic: string;
  /** What to train and deploy. */
  plan: TrainPlan;
  /** Labelled windows needed for the first training (default 200). */
  minWindows?: number;
  /** Retrain after this many more labelled windows (0 = train once, the default). */
  retrainAfter?: number;
  /** How often to check, ms (default 2,000). */
  checkEveryMs?: number;
  /** Stops the service. */
  signal: AbortSignal;
  /** Progress and metrics lines (default console.log). */
  log?: (line: string) => void;
}

/**
 * Runs until `signal` aborts; returns how many trainings it published.
 *
 * @example
 * ```ts ignore
 * import { runTrainService } from "@sa/toolkit";
 * await runTrainService({
 *   featuresTopic: "features", labelsTopic: "labels", modelsTopic: "models",
 *   plan: { name: "activity", kinds: ["softmax", "random-forest"], seed: 1 },
 *   signal: AbortSignal.timeout(60_000),
 * });
 * ```
 */
export async function runTrainService(opts: TrainServiceOptions): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  await loadClassifierKinds();
  const kafka = createKafka(
    resolveBrokerAddress(opts.brokerAddress),
    "sa-ml-train",
    new Logger("train", "WARN"),
  );
  const features: FeatureRow[] = [];
  const segments: LabelSegment[] = [];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [opts.featuresTopic, opts.labelsTopic].filter((t) => !existing.has(t));
    if (missing.length) {
      await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: 1 })) })
        .catch(() => {});
    }
  } finally {
    await admin.disconnect();
  }
  const followers = [
    await followTopic(kafka, opts.featuresTopic, (r) => {
      const v = jsonValue(r.message) as FeatureRow | undefined;
      if (v?.features) features.push(v);
    }, "sa-ml-train"),
    await followTopic(kafka, opts.labelsTopic, (r) => {
      const v = jsonValue(r.message) as LabelSegment | undefined;
      if (v?.label) segments.push(v);
    }, "sa-ml-train"),
  ];
  const minWindows = opts.minWindows ?? 200;
  let trainedAt = -1, published = 0;
  try {
    while (!opts.signal.aborted) {
      const examples = labelledExamples(features, segments, FEATURE_NAMES);
      const n = examples.x.length;
      const due = trainedAt < 0
        ? n >= minWindows
        : (opts.retrainAfter ?? 0) > 0 && n >= trainedAt + opts.retrainAfter!;
      if (due) {
        const source = `topics ${opts.featuresTopic} + ${opts.labelsTopic}`;
        try {
          const out = await trainAndPublish(kafka, opts.modelsTopic, examples, opts.plan, source);
          for (const m of out.models) log(formatMetrics(m).trimEnd());
          log(
            `train: published ${out.models.map((m) => `v${m.version}`).join(", ")} to ` +
              `${opts.modelsTopic}${out.deployment ? " and deployed them" : ""} (${n} windows)`,
          );
          published++;
        } catch (e) {
          log(`train: training on ${n} windows failed: ${(e as Error).message}`);
        }
        trainedAt = n;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, opts.checkEveryMs ?? 2000);
        function done() {
          clearTimeout(t);
          opts.signal.removeEventListener("abort", done);
          resolve();
        }
        opts.signal.addEventListener("abort", done, { once: true });
      });
    }
  } finally {
    for (const f of followers) await f.stop();
  }
  return published;
}
