/**
 * Which A/B variant is ahead, and how sure: a two-proportion z-test on test-then-train
 * accuracy (pooled standard error, two-sided p-value) between the two most accurate variants
 * (served or shadow) that have labelled predictions.
 *
 * @module
 */
import type { KpiRecord } from "./kpis.ts";

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 erf, error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 -
    (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t +
        0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Result of {@link twoProportionTest}. */
export interface ProportionTest {
  /** First proportion. */
  p1: number;
  /** Second proportion. */
  p2: number;
  /** z statistic. */
  z: number;
  /** Two-sided p-value of "the proportions are equal". */
  pValue: number;
}

/**
 * Two-proportion z-test of `x1/n1` against `x2/n2` (pooled variance).
 *
 * @example
 * ```ts
 * import { twoProportionTest } from "@sa/toolkit";
 * const t = twoProportionTest(200, 1000, 250, 1000);
 * console.log(t.z.toFixed(2), t.pValue.toFixed(4)); // -2.68 0.0074
 * ```
 */
export function twoProportionTest(x1: number, n1: number, x2: number, n2: number): ProportionTest {
  if (n1 <= 0 || n2 <= 0) throw new Error("two-proportion test needs samples on both sides");
  const p1 = x1 / n1, p2 = x2 / n2, pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const z = se === 0 ? 0 : (p1 - p2) / se;
  return { p1, p2, z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}

/** One variant's accuracy, from its latest KPI record. */
export interface VariantAccuracy {
  variant: string;
  version: number;
  served: boolean;
  correct: number;
  scored: number;
  predictions: number;
}

/** The report `sa ml report` prints. */
export interface AbReport {
  variants: VariantAccuracy[];
  leader?: VariantAccuracy;
  runnerUp?: VariantAccuracy;
  test?: ProportionTest;
  /** 1 − p-value: how sure the leader is really ahead. */
  confidence?: number;
  verdict: string;
}

/** The latest KPI record per variant → accuracies and the test between the best two. */
export function abReport(records: readonly KpiRecord[], alpha = 0.05): AbReport {
  const latest = new Map<string, KpiRecord>();
  for (const r of records) latest.set(r.variant, r);
  const variants = [...latest.values()].map((r) => ({
    variant: r.variant,
    version: r.version,
    served: r.served,
    correct: r.accuracy.correct,
    scored: r.accuracy.scored,
    predictions: r.totalPredictions,
  })).sort((a, b) => a.version - b.version || Number(b.served) - Number(a.served));
  const ranked = variants.filter((v) => v.scored > 0)
    .sort((a, b) => b.correct / b.scored - a.correct / a.scored || b.scored - a.scored);
  if (ranked.length < 2) {
    return {
      variants,
      leader: ranked[0],
      verdict: ranked.length
        ? `only ${ranked[0].variant} has labelled predictions: nothing to compare yet`
        : "no labelled predictions yet",
    };
  }
  const [leader, runnerUp] = ranked;
  const test = twoProportionTest(leader.correct, leader.scored, runnerUp.correct, runnerUp.scored);
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const verdict = test.pValue < alpha
    ? `${leader.variant} is ahead of ${runnerUp.variant} (${pct(test.p1)} vs ${pct(test.p2)}, ` +
      `z = ${test.z.toFixed(2)}, p = ${test.pValue.toPrecision(2)}): significant at ${alpha}`
    : `${leader.variant} leads ${runnerUp.variant} (${pct(test.p1)} vs ${pct(test.p2)}, ` +
      `z = ${test.z.toFixed(2)}, p = ${
        test.pValue.toPrecision(2)
      }): not significant at ${alpha}, ` +
      `keep collecting labels`;
  return { variants, leader, runnerUp, test, confidence: 1 - test.pValue, verdict };
}
