/**
 * Inference: feature rows → predictions, with the model serving at that moment. The device's
 * variant comes from the A/B split ({@link assignVariant}); shadows score every row too, on a
 * separate stream that never reaches the served output. A served `shaking` raises an alert.
 *
 * Each prediction carries its model version, `latencyMs` (prediction time minus the Kafka
 * timestamp of the newest message in the window: the time from a reading entering the pipeline
 * to its prediction, window close included) and `scoreUs` (the model's own time).
 *
 * @module
 */
import type { StreamingDataFrame } from "../stream/dataframe/dataframe.ts";
import { assignVariant } from "./ab.ts";
import { FEATURE_SCHEMA, type FeatureRow, featureVector } from "./features.ts";
import type { LoadedModel } from "./model_record.ts";
import type { ModelRegistry } from "./registry.ts";

/**
 * One prediction, as written to `predictions` (served) or `predictions-shadow`.
 *
 * @example
 * ```ts
 * import type { Prediction } from "@sa/toolkit";
 * const slow = (p: Prediction) => p.latencyMs !== null && p.latencyMs > 1500;
 * ```
 */
export interface Prediction {
  /** The phone. */
  deviceId: string;
  /** Window start, ms. */
  start: number;
  /** Window end, ms. */
  end: number;
  /** Predicted class. */
  label: string;
  /** Version of the model that made it. */
  version: number;
  /** `v<version>`, the variant's name in KPIs and reports. */
  variant: string;
  /** False for a shadow prediction. */
  served: boolean;
  /** The A/B experiment (empty without one). */
  experiment: string;
  /** ms from the window's newest message reaching Kafka to this prediction (null without one). */
  latencyMs: number | null;
  /** Microseconds the model took. */
  scoreUs: number;
  /** Wall-clock time of the prediction, ms. */
  predictedAt: number;
}

/** An alert record on `alerts`. */
export interface Alert {
  /** Alert type. */
  type: "shake";
  /** The phone. */
  deviceId: string;
  /** Window start, ms. */
  start: number;
  /** Window end, ms. */
  end: number;
  /** Version of the model that predicted the shake. */
  version: number;
  /** Wall-clock time of the prediction, ms. */
  predictedAt: number;
}

/** Rows that could not be scored, by reason. */
export interface InferenceCounters {
  /** Rows predicted. */
  scored: number;
  /** Rows skipped because no model was known yet. */
  noModel: number;
  /** Rows skipped because of another feature schema. */
  badRow: number;
}

/** Options of {@link inference}. */
export interface InferenceOptions {
  /** Wall clock (ms), replaceable in tests. */
  now?: () => number;
  /** Warnings about skipped rows (default console.warn, at most one per 10 s). */
  warn?: (line: string) => void;
}

/** The three outputs of {@link inference}. */
export interface InferenceStreams {
  /** Served predictions. */
  served: StreamingDataFrame<Prediction>;
  /** Shadow predictions. */
  shadow: StreamingDataFrame<Prediction>;
  /** Alerts for served shakes. */
  alerts: StreamingDataFrame<Alert>;
  /** Counts of scored and skipped rows. */
  counters: InferenceCounters;
}

function score(
  model: LoadedModel,
  row: FeatureRow,
  served: boolean,
  experiment: string,
  now: () => number,
): Prediction {
  const x = featureVector(row, model.record.features);
  const t0 = performance.now();
  const k = model.classifier.predict(x);
  const scoreUs = Math.round((performance.now() - t0) * 1000);
  const predictedAt = now();
  return {
    deviceId: row.deviceId,
    start: row.start,
    end: row.end,
    label: model.record.classes[k],
    version: model.record.version,
    variant: `v${model.record.version}`,
    served,
    experiment,
    latencyMs: row.ingestMs > 0 ? predictedAt - row.ingestMs : null,
    scoreUs,
    predictedAt,
  };
}

/**
 * Scores every feature row with the registry's serving set at the time the row is processed.
 *
 * @example
 * ```ts
 * import { type FeatureRow, inference, ModelRegistry, TestApp } from "@sa/toolkit";
 * const app = new TestApp();
 * const registry = new ModelRegistry("activity");
 * const out = inference(app.dataframe(app.topic<FeatureRow>("features")), registry);
 * out.served.toTopic(app.topic("predictions"));
 * out.shadow.toTopic(app.topic("predictions-shadow"));
 * out.alerts.toTopic(app.topic("alerts"));
 * ```
 */
export function inference(
  features: StreamingDataFrame<FeatureRow>,
  registry: ModelRegistry,
  options: InferenceOptions = {},
): InferenceStreams {
  const now = options.now ?? Date.now;
  const counters: InferenceCounters = { scored: 0, noModel: 0, badRow: 0 };
  let lastWarn = -Infinity;
  const warn = (line: string) => {
    if (options.warn) return options.warn(line);
    if (performance.now() - lastWarn < 10_000) return;
    lastWarn = performance.now();
    console.warn(line);
  };
  const all = features.apply((row: FeatureRow): Prediction[] => {
    const serving = registry.serving;
    if (!serving) {
      counters.noModel++;
      warn(`inference: no model yet, ${counters.noModel} feature rows skipped so far`);
      return [];
    }
    if (row?.schema !== FEATURE_SCHEMA || typeof row.deviceId !== "string") {
      counters.badRow++;
      warn(`inference: skipped a row of schema ${row?.schema} (want ${FEATURE_SCHEMA})`);
      return [];
    }
    const variant = assignVariant(serving.variants, row.deviceId, serving.experiment);
    const out = [score(variant.model, row, true, serving.experiment, now)];
    for (const shadow of serving.shadows) {
      out.push(score(shadow, row, false, serving.experiment, now));
    }
    counters.scored++;
    return out;
  }, { expand: true });
  const served = all.filter((p) => p.served);
  const shadow = all.filter((p) => !p.served);
  const alerts = served
    .filter((p) => p.label === "shaking")
    .apply((p): Alert => ({
      type: "shake",
      deviceId: p.deviceId,
      start: p.start,
      end: p.end,
      version: p.version,
      predictedAt: p.predictedAt,
    }));
  return { served, shadow, alerts, counters };
}
