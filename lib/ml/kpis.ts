/**
 * Model KPIs per variant: prediction latency, class mix over time, feature drift against the
 * variant's training distribution (PSI, see drift.ts), and test-then-train accuracy: each
 * prediction is made before its label exists and is scored when the label segment covering its
 * window arrives (joined by device and time), as River's `progressive_val_score` with delayed
 * labels. Interval figures (latency, class mix) reset at each {@link KpiTracker.snapshot};
 * counts and accuracy are cumulative since the tracker started.
 *
 * @module
 */
import { DRIFT_SAMPLE, type DriftReading, driftReading } from "./drift.ts";
import { FEATURE_NAMES, type FeatureRow, featureVector } from "./features.ts";
import type { Prediction } from "./inference.ts";
import { LabelIndex, type LabelSegment } from "./labels.ts";
import type { ModelRecord } from "./model_record.ts";

/** Latency figures of an interval, in ms (nearest-rank percentiles). */
export interface LatencyStats {
  /** Predictions with a latency. */
  count: number;
  /** Mean. */
  mean: number;
  /** Median. */
  p50: number;
  /** 99th percentile. */
  p99: number;
  /** Largest. */
  max: number;
}

/** One KPI record, as written to `model-kpis` (key: the variant). */
export interface KpiRecord {
  /** Record type. */
  type: "kpi";
  /** Variant name (`v3`, `v4-shadow`). */
  variant: string;
  /** Model version. */
  version: number;
  /** False for a shadow. */
  served: boolean;
  /** Interval of wall-clock time covered by the interval figures (ms). */
  from: number;
  /** Interval end. */
  to: number;
  /** Predictions in the interval, and since the start. */
  predictions: number;
  /** Predictions since the tracker started. */
  totalPredictions: number;
  /** Latency over the interval. */
  latencyMs: LatencyStats | null;
  /** Share of each class among the interval's predictions. */
  classMix: Record<string, number>;
  /** Test-then-train accuracy since the start (`value` null before any label). */
  accuracy: { correct: number; scored: number; value: number | null };
  /** PSI of the last {@link DRIFT_SAMPLE} feature windows against this version's training data. */
  drift: DriftReading | null;
}

interface VariantState {
  variant: string;
  version: number;
  served: boolean;
  total: number;
  latencies: number[];
  classes: Map<string, number>;
  correct: number;
  scored: number;
}

interface Pending {
  state: VariantState;
  label: string;
  start: number;
  end: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Predictions waiting for a label per device, at most this many (oldest dropped). */
export const MAX_PENDING = 10_000;

/**
 * Accumulates KPIs from predictions, labels and features.
 *
 * @example
 * ```ts
 * import { KpiTracker } from "@sa/toolkit";
 * const kpis = new KpiTracker(() => undefined, 0);
 * kpis.addPrediction({
 *   deviceId: "p1", start: 0, end: 2000, label: "walking", version: 1, variant: "v1",
 *   served: true, experiment: "", latencyMs: 12, scoreUs: 3, predictedAt: 2012,
 * });
 * kpis.addLabel({ deviceId: "p1", label: "walking", start: 0, end: 8000 });
 * console.log(kpis.snapshot(10_000)[0].accuracy); // { correct: 1, scored: 1, value: 1 }
 * ```
 */
export class KpiTracker {
  readonly #variants = new Map<string, VariantState>();
  readonly #pending = new Map<string, Pending[]>();
  readonly #labels = new LabelIndex();
  readonly #features: number[][] = [];
  #from: number;
  /** Predictions dropped unscored (their window spans two activities, or too many pending). */
  unlabelled = 0;

  /**
   * An empty tracker.
   *
   * @param models the model records by version, for drift baselines (e.g. a registry's map)
   * @param now start of the first interval (ms)
   */
  constructor(
    readonly models: (version: number) => ModelRecord | undefined,
    now: number = Date.now(),
  ) {
    this.#from = now;
  }

  #state(p: Prediction): VariantState {
    const key = p.served ? p.variant : `${p.variant}-shadow`;
    let s = this.#variants.get(key);
    if (!s) {
      s = {
        variant: key,
        version: p.version,
        served: p.served,
        total: 0,
        latencies: [],
        classes: new Map(),
        correct: 0,
        scored: 0,
      };
      this.#variants.set(key, s);
    }
    return s;
  }

  /** Counts a prediction, scores it at once if its label is already known. */
  addPrediction(p: Prediction): void {
    const s = this.#state(p);
    s.total++;
    if (p.latencyMs !== null) s.latencies.push(p.latencyMs);
    s.classes.set(p.label, (s.classes.get(p.label) ?? 0) + 1);
    const segment = this.#labels.lookup(p.deviceId, p.start, p.end);
    if (segment) return this.#score(s, p.label, segment.label);
    const list = this.#pending.get(p.deviceId) ?? [];
    list.push({ state: s, label: p.label, start: p.start, end: p.end });
    if (list.length > MAX_PENDING) {
      list.shift();
      this.unlabelled++;
    }
    this.#pending.set(p.deviceId, list);
  }

  #score(s: VariantState, predicted: string, actual: string): void {
    s.scored++;
    if (predicted === actual) s.correct++;
  }

  /** A closed label segment: scores the device's pending predictions it covers. */
  addLabel(segment: LabelSegment): void {
    this.#labels.add(segment);
    const list = this.#pending.get(segment.deviceId);
    if (!list) return;
    const keep: Pending[] = [];
    for (const p of list) {
      if (segment.start <= p.start && p.end <= segment.end) {
        this.#score(p.state, p.label, segment.label);
      } else if (p.end <= segment.end) {
        this.unlabelled++; // spans a boundary: no single label
      } else keep.push(p);
    }
    this.#pending.set(segment.deviceId, keep);
  }

  /** A feature row, for drift. */
  addFeatures(row: FeatureRow): void {
    if (!row?.features) throw new Error("feature row without features");
    this.#features.push(featureVector(row, FEATURE_NAMES));
    if (this.#features.length > DRIFT_SAMPLE) this.#features.shift();
  }

  #drift(version: number): DriftReading | null {
    const model = this.models(version);
    if (!model || this.#features.length < DRIFT_SAMPLE) return null;
    return driftReading(
      model.features,
      model.baselines,
      this.#features,
      (name) => FEATURE_NAMES.indexOf(name),
    );
  }

  /** KPI records of every variant seen; starts a new interval. */
  snapshot(now: number = Date.now()): KpiRecord[] {
    const out: KpiRecord[] = [];
    for (const s of this.#variants.values()) {
      const sorted = [...s.latencies].sort((a, b) => a - b);
      const n = [...s.classes.values()].reduce((a, b) => a + b, 0);
      out.push({
        type: "kpi",
        variant: s.variant,
        version: s.version,
        served: s.served,
        from: this.#from,
        to: now,
        predictions: n,
        totalPredictions: s.total,
        latencyMs: sorted.length
          ? {
            count: sorted.length,
            mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
            p50: percentile(sorted, 50),
            p99: percentile(sorted, 99),
            max: sorted[sorted.length - 1],
          }
          : null,
        classMix: Object.fromEntries([...s.classes].sort().map(([c, k]) => [c, k / n])),
        accuracy: {
          correct: s.correct,
          scored: s.scored,
          value: s.scored ? s.correct / s.scored : null,
        },
        drift: this.#drift(s.version),
      });
      s.latencies = [];
      s.classes = new Map();
    }
    this.#from = now;
    return out;
  }
}
