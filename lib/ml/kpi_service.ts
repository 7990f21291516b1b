/**
 * The KPI app's loop: a {@link KpiTracker} fed by the prediction, label and feature streams,
 * a snapshot every interval written to `model-kpis` (key: the variant), and the latest one
 * served as Prometheus text on `/metrics`.
 *
 * @module
 */
import type { Application } from "../stream/application.ts";
import type { FeatureRow } from "./features.ts";
import type { Prediction } from "./inference.ts";
import { type KpiRecord, KpiTracker } from "./kpis.ts";
import type { LabelSegment } from "./labels.ts";
import { prometheusText } from "./metrics.ts";
import type { ModelRegistry } from "./registry.ts";

/** Topics the KPI app reads and writes. */
export interface KpiTopics {
  /** Served predictions. */
  predictions: string;
  /** Shadow predictions. */
  shadow: string;
  /** Label segments. */
  labels: string;
  /** Feature rows. */
  features: string;
  /** Where KPI records go. */
  kpis: string;
}

/** A KPI service wired into an application (see {@link kpiService}). */
export interface KpiService {
  /** The tracker fed by the dataframes. */
  tracker: KpiTracker;
  /** The latest record of each variant. */
  latest: Map<string, KpiRecord>;
  /** Takes a snapshot and produces it; returns the records. */
  publish(now?: number): Promise<KpiRecord[]>;
  /** Prometheus text of {@link KpiService.latest}. */
  metrics(): string;
  /** Closes the producer. */
  close(): Promise<void>;
}

/**
 * Declares the KPI dataframes on `app`; call `publish()` on a timer while `app.run()` runs.
 *
 * @example
 * ```ts ignore
 * import { Application, kpiService, ModelRegistry } from "@sa/toolkit";
 * const app = new Application({ consumerGroup: "model-kpis" });
 * const kpis = await kpiService(app, {
 *   predictions: "predictions", shadow: "predictions-shadow", labels: "labels",
 *   features: "features", kpis: "model-kpis",
 * }, new ModelRegistry("activity"));
 * setInterval(() => kpis.publish(), 10_000);
 * await app.run();
 * ```
 */
export async function kpiService(
  app: Application,
  topics: KpiTopics,
  registry: ModelRegistry,
): Promise<KpiService> {
  const tracker = new KpiTracker((v) => registry.models.get(v)?.record);
  // Records of another shape are skipped with a warning (at most one per 10 s), not fatal.
  let lastWarn = -Infinity;
  const skip = (topic: string, why: string) => {
    if (performance.now() - lastWarn < 10_000) return;
    lastWarn = performance.now();
    console.warn(`model_kpis: skipped a record of ${topic}: ${why}`);
  };
  for (const name of [topics.predictions, topics.shadow]) {
    app.dataframe(app.topic<Prediction>(name)).update((p) =>
      typeof p?.deviceId === "string" && Number.isInteger(p.version) &&
        typeof p.label === "string" && typeof p.start === "number" && typeof p.end === "number"
        ? tracker.addPrediction(p)
        : skip(name, "not a prediction")
    );
  }
  app.dataframe(app.topic<LabelSegment>(topics.labels)).update((s) =>
    typeof s?.deviceId === "string" && typeof s.label === "string" &&
      typeof s.start === "number" && typeof s.end === "number"
      ? tracker.addLabel(s)
      : skip(topics.labels, "not a label segment")
  );
  app.dataframe(app.topic<FeatureRow>(topics.features)).update((f) => {
    try {
      tracker.addFeatures(f);
    } catch (e) {
      skip(topics.features, (e as Error).message);
    }
  });
  const out = app.topic<KpiRecord>(topics.kpis);
  const producer = await app.getProducer();
  const latest = new Map<string, KpiRecord>();
  return {
    tracker,
    latest,
    async publish(now = Date.now()) {
      const records = tracker.snapshot(now);
      for (const r of records) {
        latest.set(r.variant, r);
        producer.produce(out, { key: r.variant, value: r });
      }
      await producer.flush();
      return records;
    },
    metrics: () => prometheusText([...latest.values()]),
    close: () => producer.close(),
  };
}

/**
 * One line per variant, for the app's log.
 *
 * @example
 * ```ts ignore
 * import { kpiLine } from "@sa/toolkit";
 * for (const r of await kpis.publish()) console.log(kpiLine(r));
 * ```
 */
export function kpiLine(r: KpiRecord): string {
  const acc = r.accuracy.value === null
    ? "no labels yet"
    : `${(r.accuracy.value * 100).toFixed(1)}% of ${r.accuracy.scored}`;
  const lat = r.latencyMs ? `p99 ${r.latencyMs.p99} ms` : "no latency";
  const drift = r.drift
    ? `max PSI ${r.drift.maxPsi.toFixed(2)} (${r.drift.maxFeature})${r.drift.alarm ? " DRIFT" : ""}`
    : "drift: waiting for samples";
  const mix = Object.entries(r.classMix).map(([c, s]) => `${c} ${(s * 100).toFixed(0)}%`)
    .join(" ");
  return `kpis: ${r.variant}: ${r.predictions} predictions (${r.totalPredictions} total), ` +
    `${lat}, accuracy ${acc}, ${drift}${mix ? `, mix ${mix}` : ""}`;
}
