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
  /** Bin edges: a value `v` falls in the first bin whose edge is above it. */
  edges: number[];
  /** Share of the training values in each bin (one more than the edges). */
  expected: number[];
}

/** PSI above this raises a drift alarm. */
export const PSI_ALARM = 0.25;
/** Feature windows per PSI evaluation (the most recent ones). */
export const DRIFT_SAMPLE = 300;

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

/** Bins must hold at least this share of the training values (ties can make deciles uneven). */
const MIN_BIN_SHARE = 0.05;

/**
 * The baseline of one feature's training values: decile edges, distinct, merged until every
 * bin holds 5 % of the values at least (discrete features such as zero-crossing rates tie).
 */
export function featureBaseline(values: readonly number[]): FeatureBaseline {
  const sorted = [...values].sort((a, b) => a - b);
  let edges: number[] = [];
  for (let q = 1; q < 10; q++) {
    const e = sorted[Math.floor((q * sorted.length) / 10)];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  for (;;) {
    const counts = new Array(edges.length + 1).fill(0);
    for (const v of values) counts[bin(edges, v)]++;
    const smallest = counts.indexOf(Math.min(...counts));
    if (edges.length === 0 || counts[smallest] >= MIN_BIN_SHARE * values.length) break;
    // Merge the smallest bin into its smaller neighbour by dropping the edge between them.
    const left = smallest > 0 ? counts[smallest - 1] : Infinity;
    const right = smallest < edges.length ? counts[smallest + 1] : Infinity;
    const drop = left <= right ? smallest - 1 : smallest;
    edges = edges.filter((_, i) => i !== drop);
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
  /** PSI by feature. */
  psi: Record<string, number>;
  /** The feature with the largest PSI. */
  maxFeature: string;
  /** Its PSI. */
  maxPsi: number;
  /** True when `maxPsi` is above {@link PSI_ALARM}. */
  alarm: boolean;
  /** Feature windows in the sample. */
  sample: number;
}

/**
 * PSI of every feature of a model against a sample of recent feature vectors.
 *
 * @param names the model's feature names, with their `baselines`
 * @param column where each name is in the sample's vectors
 */
export function driftReading(
  names: readonly string[],
  baselines: readonly FeatureBaseline[],
  sample: readonly (readonly number[])[],
  column: (name: string) => number,
): DriftReading {
  const out: DriftReading = {
    psi: {},
    maxFeature: "",
    maxPsi: -Infinity,
    alarm: false,
    sample: sample.length,
  };
  names.forEach((name, j) => {
    const c = column(name);
    const v = psi(baselines[j], sample.map((x) => x[c]));
    out.psi[name] = v;
    if (v > out.maxPsi) [out.maxPsi, out.maxFeature] = [v, name];
  });
  out.alarm = out.maxPsi > PSI_ALARM;
  return out;
}
