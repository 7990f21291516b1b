/**
 * Training: a held-out split by activity segment (windows overlap, so a random split by
 * window would leak neighbours into the test set), a classifier of the chosen kind, and the
 * metrics and model record published to the `models` topic.
 *
 * @module
 */
import { mulberry32 } from "../util/prng.ts";
import { CLASSIFIER_KINDS } from "./classifier.ts";
import type { Examples } from "./dataset.ts";
import { featureBaseline } from "./drift.ts";
import { FEATURE_NAMES, FEATURE_SCHEMA } from "./features.ts";
import type { ModelRecord, TrainingMetrics } from "./model_record.ts";

/** Options of {@link trainModel}. */
export interface TrainOptions {
  /** Classifier kind (default `"softmax"`, chosen by bench/ml.ts). */
  kind?: string;
  /** Seed of the split and of the model (default 1). */
  seed?: number;
  /** Share of segments held out (default 0.3). */
  testShare?: number;
  /** Model name (default `activity`). */
  name?: string;
  /** Version of the record. */
  version: number;
  /** Where the data came from (a file or topics), for the record. */
  source: string;
}

/** Splits example indices into train and test by group, deterministically for `seed`. */
export function splitByGroup(
  groups: readonly string[],
  testShare: number,
  seed: number,
): { train: number[]; test: number[] } {
  const distinct = [...new Set(groups)].sort();
  const rand = mulberry32(seed);
  for (let i = distinct.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [distinct[i], distinct[j]] = [distinct[j], distinct[i]];
  }
  const held = new Set(distinct.slice(0, Math.round(distinct.length * testShare)));
  const train: number[] = [], test: number[] = [];
  groups.forEach((g, i) => (held.has(g) ? test : train).push(i));
  return { train, test };
}

/** Accuracy, per-class precision and recall and the confusion matrix of predictions. */
export function evaluate(
  classes: readonly string[],
  actual: readonly number[],
  predicted: readonly number[],
): Pick<TrainingMetrics, "accuracy" | "perClass" | "confusion"> {
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array(k).fill(0));
  let correct = 0;
  actual.forEach((a, i) => {
    confusion[a][predicted[i]]++;
    if (a === predicted[i]) correct++;
  });
  const perClass: TrainingMetrics["perClass"] = {};
  classes.forEach((c, i) => {
    const tp = confusion[i][i];
    const predictedI = confusion.reduce((s, row) => s + row[i], 0);
    const support = confusion[i].reduce((s, v) => s + v, 0);
    perClass[c] = {
      precision: predictedI ? tp / predictedI : 0,
      recall: support ? tp / support : 0,
      support,
    };
  });
  return { accuracy: actual.length ? correct / actual.length : 0, perClass, confusion };
}

/**
 * Trains on labelled examples and returns the model record (not yet published).
 *
 * @example
 * ```ts ignore
 * import { trainModel } from "@sa/toolkit";
 * const record = trainModel(examples, { kind: "softmax", seed: 1, version: 1, source: "demo" });
 * console.log(record.metrics.accuracy, record.metrics.baselineAccuracy);
 * ```
 */
export function trainModel(examples: Examples, options: TrainOptions): ModelRecord {
  const kindName = options.kind ?? "softmax";
  const kind = CLASSIFIER_KINDS[kindName];
  if (!kind) {
    throw new Error(
      `unknown model kind "${kindName}" (kinds: ${Object.keys(CLASSIFIER_KINDS).join(", ")})`,
    );
  }
  const seed = options.seed ?? 1;
  const classes = [...new Set(examples.y)].sort();
  if (classes.length < 2) {
    throw new Error(`need labelled windows of two classes at least, found ${classes.length}`);
  }
  const { train, test } = splitByGroup(examples.groups, options.testShare ?? 0.3, seed);
  if (train.length === 0 || test.length === 0) {
    throw new Error(`too few labelled segments to hold some out (${examples.groups.length})`);
  }
  const y = examples.y.map((c) => classes.indexOf(c));
  const xTrain = train.map((i) => examples.x[i]);
  const t0 = performance.now();
  const classifier = kind.train(xTrain, train.map((i) => y[i]), classes.length, seed);
  const trainMs = performance.now() - t0;
  const actual = test.map((i) => y[i]);
  const predicted = test.map((i) => classifier.predict(examples.x[i]));
  const counts = new Array(classes.length).fill(0);
  for (const i of train) counts[y[i]]++;
  const majority = counts.indexOf(Math.max(...counts));
  const metrics: TrainingMetrics = {
    ...evaluate(classes, actual, predicted),
    baselineAccuracy: actual.filter((a) => a === majority).length / actual.length,
    trainWindows: train.length,
    testWindows: test.length,
    trainMs: Math.round(trainMs * 10) / 10,
  };
  const rows = examples.rows;
  return {
    type: "model",
    name: options.name ?? "activity",
    version: options.version,
    kind: kindName,
    seed,
    schema: FEATURE_SCHEMA,
    features: [...FEATURE_NAMES],
    classes,
    params: classifier.toJSON(),
    metrics,
    data: {
      from: Math.min(...rows.map((r) => r.start)),
      to: Math.max(...rows.map((r) => r.end)),
      windows: rows.length,
      devices: new Set(rows.map((r) => r.deviceId)).size,
      source: options.source,
    },
    // The reference distribution is every labelled window (train and held out alike).
    baselines: FEATURE_NAMES.map((_, j) => featureBaseline(examples.x.map((x) => x[j]))),
    trainedAt: new Date().toISOString(),
  };
}

/** The metrics as the text `sa ml train` prints: accuracy, per class, confusion matrix. */
export function formatMetrics(record: ModelRecord): string {
  const m = record.metrics;
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const w = Math.max(8, ...record.classes.map((c) => c.length)) + 2;
  const lines = [
    `${record.name} v${record.version} (${record.kind}, seed ${record.seed}): ` +
    `held-out accuracy ${pct(m.accuracy)} on ${m.testWindows} windows ` +
    `(majority-class baseline ${pct(m.baselineAccuracy)}), trained on ${m.trainWindows} ` +
    `windows in ${m.trainMs} ms`,
    "",
    "class".padEnd(w) + "precision".padStart(10) + "recall".padStart(8) + "support".padStart(9),
    ...record.classes.map((c) => {
      const p = m.perClass[c];
      return c.padEnd(w) + pct(p.precision).padStart(10) + pct(p.recall).padStart(8) +
        String(p.support).padStart(9);
    }),
    "",
    "confusion (rows: actual, columns: predicted)",
    "".padEnd(w) + record.classes.map((c) => c.padStart(w)).join(""),
    ...record.classes.map((c, i) =>
      c.padEnd(w) + m.confusion[i].map((v) => String(v).padStart(w)).join("")
    ),
  ];
  return lines.join("\n") + "\n";
}
