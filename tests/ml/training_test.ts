import assert from "node:assert/strict";
import { evaluate, formatMetrics, splitByGroup, trainModel } from "../../lib/ml/training.ts";
import { loadModel } from "../../lib/ml/model_record.ts";
import { activityData } from "./_data.ts";

// Held-out accuracy must beat always answering the majority class by this many points.
const MARGIN = 0.4;

function withoutTimes<T extends { trainedAt: string; metrics: { trainMs: number } }>(r: T) {
  return { ...r, trainedAt: "", metrics: { ...r.metrics, trainMs: 0 } };
}

for (const kind of ["softmax", "random-forest"]) {
  Deno.test(`training (${kind}): deterministic for a seed, beats the majority class`, () => {
    const { examples } = activityData();
    const a = trainModel(examples, { kind, seed: 7, version: 1, source: "test" });
    const b = trainModel(examples, { kind, seed: 7, version: 1, source: "test" });
    assert.deepEqual(withoutTimes(a), withoutTimes(b));
    const m = a.metrics;
    assert.ok(
      m.accuracy >= m.baselineAccuracy + MARGIN,
      `accuracy ${m.accuracy} vs majority ${m.baselineAccuracy}`,
    );
    assert.deepEqual(a.classes, ["running", "shaking", "still", "walking"]);
    assert.equal(m.testWindows + m.trainWindows, examples.x.length);
    // The published record loads back into an equal classifier.
    const loaded = loadModel(JSON.parse(JSON.stringify(a)));
    const test = examples.x.slice(0, 50);
    const direct = test.map((x) => loadModel(a).classifier.predict(x));
    assert.deepEqual(test.map((x) => loaded.classifier.predict(x)), direct);
  });
}

Deno.test("training: a different seed gives a different split", () => {
  const { examples } = activityData();
  const a = splitByGroup(examples.groups, 0.3, 1).test;
  const b = splitByGroup(examples.groups, 0.3, 2).test;
  assert.notDeepEqual(a, b);
  // Windows of one segment stay on one side.
  const testGroups = new Set(a.map((i) => examples.groups[i]));
  for (const i of splitByGroup(examples.groups, 0.3, 1).train) {
    assert.ok(!testGroups.has(examples.groups[i]));
  }
});

Deno.test("training: metrics by hand (precision, recall, confusion)", () => {
  // actual:    a a a b b c
  // predicted: a a b b c c
  const m = evaluate(["a", "b", "c"], [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2]);
  assert.deepEqual(m.confusion, [[2, 1, 0], [0, 1, 1], [0, 0, 1]]);
  assert.equal(m.accuracy, 4 / 6);
  assert.deepEqual(m.perClass.a, { precision: 1, recall: 2 / 3, support: 3 });
  assert.deepEqual(m.perClass.b, { precision: 0.5, recall: 0.5, support: 2 });
  assert.deepEqual(m.perClass.c, { precision: 0.5, recall: 1, support: 1 });
});

Deno.test("training: the printed report has accuracy, per-class lines and the matrix", () => {
  const r = trainModel(activityData().examples, { version: 3, source: "test" });
  const text = formatMetrics(r);
  assert.match(text, /^activity v3 \(softmax, seed 1\): held-out accuracy \d+\.\d%/);
  assert.match(text, /majority-class baseline \d+\.\d%/);
  for (const c of r.classes) assert.match(text, new RegExp(`^${c} +\\d+\\.\\d% +\\d+\\.\\d%`, "m"));
  assert.match(text, /confusion \(rows: actual, columns: predicted\)/);
});

Deno.test("training: unknown kind and a single class are clear errors", () => {
  const { examples } = activityData();
  assert.throws(
    () => trainModel(examples, { kind: "xgboost", version: 1, source: "t" }),
    /unknown model kind "xgboost" \(kinds: random-forest, decision-tree, softmax\)/,
  );
  const one = { ...examples, y: examples.y.map(() => "still") };
  assert.throws(() => trainModel(one, { version: 1, source: "t" }), /two classes at least/);
});
