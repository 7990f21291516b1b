/**
 * Feature drift by the Population Stability Index (PSI): the training distribution of each
 * feature is cut into deciles (kept in the model record); a recent sample is binned the same
 * way and `PSI = Σ (actual − expected) · ln(actual / expected)` over the bins. The usual
 * reading: below 0.1 stable, 0.1–0.25 moderate, above 0.25 a significant shift, the alarm
 * threshold here. Empty bins count as 0.5 observations so the logarithm stays finite.
 *
 * @module
 */

/** One feature's training distribution: decile cut points and the share in each bin. */
export interface FeatureBaseline {
  edges: number[];
  expected: number[];
}

/** PSI above this raises a drift alarm. */
export const PSI_ALARM = 0.25;
/** Feature windows per PSI evaluation (the most recent ones). */
export const DRIFT_SAMPLE = 120;

function bin(edges: readonly number[], v: number): number {
  let lo = 0, hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v < edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function shares(edges: readonly number[], values: readonly number[]): number[] {
  const counts = new Array(edges.length + 1).fill(0);
  for (const v of values) counts[bin(edges, v)]++;
  const n = values.length + 0.5 * counts.filter((c) => c === 0).length;
  return counts.map((c) => (c === 0 ? 0.5 : c) / n);
}

/** The baseline of one feature's training values (distinct decile edges). */
export function featureBaseline(values: readonly number[]): FeatureBaseline {
  const sorted = [...values].sort((a, b) => a - b);
  const edges: number[] = [];
  for (let q = 1; q < 10; q++) {
    const e = sorted[Math.floor((q * sorted.length) / 10)];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return { edges, expected: shares(edges, values) };
}

/** PSI of `values` against a baseline. */
export function psi(baseline: FeatureBaseline, values: readonly number[]): number {
  const actual = shares(baseline.edges, values);
  let sum = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = baseline.expected[i];
    sum += (actual[i] - e) * Math.log(actual[i] / e);
  }
  return sum;
}

/** A drift reading: the PSI of every feature and the worst one. */
export interface DriftReading {
  psi: Record<string, number>;
  maxFeature: string;
  maxPsi: number;
  alarm: boolean;
  sample: number;
}

/**
 * Keeps the last {@link DRIFT_SAMPLE} feature vectors and measures PSI per feature against
 * the training baselines.
 */
export class DriftDetector {
  readonly #window: number[][] = [];

  constructor(
    readonly names: readonly string[],
    readonly baselines: readonly FeatureBaseline[],
    readonly sample = DRIFT_SAMPLE,
  ) {}

  /** Adds one feature vector (in `names` order). */
  add(x: readonly number[]): void {
    this.#window.push([...x]);
    if (this.#window.length > this.sample) this.#window.shift();
  }

  /** PSI per feature over the window; undefined until the window is full. */
  reading(): DriftReading | undefined {
    if (this.#window.length < this.sample) return undefined;
    const out: DriftReading = {
      psi: {},
      maxFeature: "",
      maxPsi: -Infinity,
      alarm: false,
      sample: this.#window.length,
    };
    this.names.forEach((name, j) => {
      const v = psi(this.baselines[j], this.#window.map((x) => x[j]));
      out.psi[name] = v;
      if (v > out.maxPsi) [out.maxPsi, out.maxFeature] = [v, name];
    });
    out.alarm = out.maxPsi > PSI_ALARM;
    return out;
  }
}
