import assert from "node:assert/strict";
import { TestApp } from "../../lib/stream/testing.ts";
import { inference, type Prediction } from "../../lib/ml/inference.ts";
import { ModelRegistry } from "../../lib/ml/registry.ts";
import { assignVariant } from "../../lib/ml/ab.ts";
import type { FeatureRow } from "../../lib/ml/features.ts";
import type { DeploymentRecord } from "../../lib/ml/model_record.ts";
import { mulberry32 } from "../../lib/util/prng.ts";
import { activityData, modelRecord } from "./_data.ts";

function setup() {
  const logs: string[] = [];
  const registry = new ModelRegistry("activity", (l) => logs.push(l));
  const app = new TestApp();
  const input = app.topic<FeatureRow>("features");
  const out = inference(app.dataframe(input), registry, { now: () => 5_000, warn: () => {} });
  const served = app.collect(out.served);
  const shadow = app.collect(out.shadow);
  out.served.toTopic(app.topic("predictions"));
  out.shadow.toTopic(app.topic("predictions-shadow"));
  out.alerts.toTopic(app.topic("alerts"));
  return { registry, app, input, served, shadow, logs, counters: out.counters };
}

function deployment(
  variants: Array<[number, number]>,
  shadow: number[] = [],
  experiment = "e1",
): DeploymentRecord {
  return {
    type: "deployment",
    name: "activity",
    default: variants[0][0],
    variants: variants.map(([version, weight]) => ({ version, weight })),
    shadow,
    experiment,
    at: "",
  };
}

Deno.test("inference: hot swap under load, one prediction per input, version active at the time", () => {
  const { registry, app, input, served, counters } = setup();
  const rows = activityData().features;
  const rand = mulberry32(99);
  const expected: number[] = [];
  let offset = 0;
  registry.apply("activity@1", modelRecord(1), `models[0]@${offset++}`);
  let next = 2;
  for (let i = 0; i < 5000; i++) {
    // Swap at random moments between inputs: new versions, and A/B deployments of known ones.
    if (rand() < 0.01) {
      if (rand() < 0.5) registry.apply(`activity@${next}`, modelRecord(next++), `m@${offset++}`);
      else {
        const a = 1 + Math.floor(rand() * (next - 1)), b = 1 + Math.floor(rand() * (next - 1));
        registry.apply("activity", deployment([[a, 1], [b, 2]], [], `x${i}`), `m@${offset++}`);
      }
    }
    const row = { ...rows[i % rows.length], deviceId: `dev-${i % 37}`, start: i, end: i + 2000 };
    const set = registry.serving!;
    expected.push(assignVariant(set.variants, row.deviceId, set.experiment).version);
    app.push(input, row, { key: row.deviceId });
  }
  assert.ok(next > 10, `only ${next - 1} versions published`);
  assert.equal(served.length, 5000);
  assert.equal(counters.scored, 5000);
  served.forEach((p, i) => {
    assert.equal(p.value.start, i, "one prediction per input, in order");
    assert.equal(p.value.version, expected[i], `prediction ${i}`);
    assert.equal(p.value.variant, `v${expected[i]}`);
  });
});

Deno.test("inference: a corrupt or incompatible model record is refused naming its offset", () => {
  const { registry, app, input, served, logs } = setup();
  registry.apply("activity@1", modelRecord(1), "models[0]@0");
  const bad: Array<[string, unknown, RegExp]> = [
    ["not a model", { hello: 1 }, /not a model record/],
    ["schema", { ...modelRecord(2), schema: "accel-5s-v9" }, /feature schema "accel-5s-v9"/],
    ["feature", { ...modelRecord(2), features: ["x_mean", "x_kurtosis"] }, /unknown feature/],
    ["kind", { ...modelRecord(2), kind: "xgboost" }, /unknown model kind "xgboost"/],
    ["params", { ...modelRecord(2), params: { weights: [[1]] } }, /softmax parameters do not fit/],
    ["deployment", deployment([[7, 1]]), /unknown version 7/],
  ];
  bad.forEach(([what, value, reason], i) => {
    const refusal = registry.apply("activity@2", value, `models[0]@${i + 1}`);
    assert.ok(refusal, what);
    assert.match(refusal.reason, reason, what);
    assert.match(
      logs.at(-1)!,
      new RegExp(`refused record models\\[0\\]@${i + 1} .*still serving v1`),
    );
  });
  const notJson = registry.applyBytes(
    "activity@2",
    new TextEncoder().encode("{oops"),
    "models[0]@9",
  );
  assert.match(notJson!.reason, /^not JSON/);
  assert.match(logs.at(-1)!, /refused record models\[0\]@9 \(key activity@2\): not JSON/);
  app.push(input, activityData().features[0]);
  assert.equal(served.length, 1);
  assert.equal(served[0].value.version, 1, "the old model keeps serving");
});

Deno.test("inference: shadow predictions never reach the served output or alerts", () => {
  const { registry, app, input, served, shadow } = setup();
  for (const v of [1, 2, 3]) registry.apply(`activity@${v}`, modelRecord(v), `m@${v}`);
  registry.apply("activity", deployment([[1, 1], [2, 1]], [3]), "m@4");
  const rows = activityData().features;
  for (const row of rows) app.push(input, row);
  assert.equal(served.length, rows.length);
  assert.equal(shadow.length, rows.length);
  assert.ok(shadow.every((p) => p.value.version === 3 && !p.value.served));
  const out = app.produced<Prediction>("predictions");
  assert.equal(out.length, rows.length);
  assert.ok(out.every((p) => p.value.version !== 3 && p.value.served));
  const alerts = app.produced<{ version: number }>("alerts");
  assert.ok(alerts.length > 0);
  assert.ok(alerts.every((a) => a.value.version !== 3));
  assert.ok(app.produced("predictions-shadow").every((p) => (p.value as Prediction).version === 3));
});

Deno.test("inference: every served shake raises one alert", () => {
  const { registry, app, input, served } = setup();
  registry.apply("activity@1", modelRecord(1), "m@0");
  for (const row of activityData().features) app.push(input, row);
  const shakes = served.filter((p) => p.value.label === "shaking");
  assert.ok(shakes.length > 20);
  assert.deepEqual(
    app.produced<{ start: number; deviceId: string }>("alerts").map((
      a,
    ) => [a.value.deviceId, a.value.start]),
    shakes.map((p) => [p.value.deviceId, p.value.start]),
  );
});

Deno.test("inference: rows before any model are counted, not predicted", () => {
  const { app, input, served, counters } = setup();
  app.push(input, activityData().features[0]);
  assert.equal(served.length, 0);
  assert.equal(counters.noModel, 1);
});

Deno.test("registry: a batch (models + deployment, as training publishes) swaps in at once", () => {
  const logs: string[] = [];
  const registry = new ModelRegistry("activity", (l) => logs.push(l));
  registry.apply("activity@1", modelRecord(1), "m@0");
  const generation = registry.serving!.generation;
  registry.batch(() => {
    registry.apply("activity@2", modelRecord(2), "m@1");
    registry.apply("activity@3", modelRecord(3), "m@2");
    // Inside the batch nothing changes for the inputs being scored.
    assert.equal(registry.serving!.variants[0].version, 1);
    registry.apply("activity", deployment([[1, 1], [2, 1]], [3]), "m@3");
  });
  assert.equal(registry.serving!.generation, generation + 1);
  assert.deepEqual(logs, [
    "models: now serving v1×1",
    "models: now serving v1×1 v2×1 shadow v3 (was v1×1)",
  ]);
});
