import assert from "node:assert/strict";
import { DRIFT_SAMPLE, driftReading, featureBaseline, psi, PSI_ALARM } from "../../lib/ml/drift.ts";
import { FEATURE_NAMES, featureVector } from "../../lib/ml/features.ts";
import { mulberry32 } from "../../lib/util/prng.ts";
import { activityData, modelRecord } from "./_data.ts";

Deno.test("drift: PSI by hand", () => {
  const base = featureBaseline(Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(base.edges, [10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.ok(base.expected.every((e) => Math.abs(e - 0.1) < 1e-12));
  assert.ok(Math.abs(psi(base, Array.from({ length: 100 }, (_, i) => i))) < 1e-12);
  // Everything in the top decile: bin 9 has 100 (share 100/104.5), the nine empty bins 0.5 each.
  const n = 100 + 9 * 0.5;
  const top = 100 / n, empty = 0.5 / n;
  const want = (top - 0.1) * Math.log(top / 0.1) + 9 * (empty - 0.1) * Math.log(empty / 0.1);
  assert.ok(Math.abs(psi(base, new Array(100).fill(95)) - want) < 1e-12);
});

// The stationary stream: windows drawn at random from the recording the model was trained on
// (the baselines cover all its labelled windows). Other phones (another generator seed) do
// drift: each phone has its own gain, and a PSI of 0.27-0.43 on five new phones is real.
const vectors = activityData().features.map((r) => featureVector(r, FEATURE_NAMES));
const model = modelRecord(1);

function sample(seed: number, transform = (x: number[]) => x): number[][] {
  const rand = mulberry32(seed);
  return Array.from(
    { length: DRIFT_SAMPLE },
    () => transform(vectors[Math.floor(rand() * vectors.length)]),
  );
}

const reading = (s: number[][]) =>
  driftReading(model.features, model.baselines, s, (n) => FEATURE_NAMES.indexOf(n));

Deno.test("drift: quiet on a stationary stream (20 samples of the same distribution)", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const r = reading(sample(seed));
    assert.equal(r.alarm, false, `seed ${seed}: ${r.maxFeature} PSI ${r.maxPsi}`);
    assert.ok(r.maxPsi < PSI_ALARM * 0.8, `seed ${seed}: ${r.maxFeature} PSI ${r.maxPsi}`);
  }
});

Deno.test("drift: fires on a shifted stream (sensor gain x1.5, or a 2 m/s² offset on x)", () => {
  const gain = (x: number[]) => x.map((v, j) => (FEATURE_NAMES[j].endsWith("_zcr") ? v : v * 1.5));
  const offset = (x: number[]) =>
    x.map((v, j) => (/^x_(mean|min|max)$/.test(FEATURE_NAMES[j]) ? v + 2 : v));
  for (let seed = 1; seed <= 5; seed++) {
    const g = reading(sample(seed, gain));
    assert.equal(g.alarm, true, `gain, seed ${seed}: ${g.maxPsi}`);
    const o = reading(sample(seed, offset));
    assert.equal(o.alarm, true, `offset, seed ${seed}: ${o.maxPsi}`);
    assert.match(o.maxFeature, /^x_/);
  }
});
