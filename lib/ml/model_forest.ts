/**
 * Tree models from the ml.js family (pure JavaScript, run in Deno from npm): a random forest
 * (`ml-random-forest`) and a single CART tree (`ml-cart`). Both serialize with `toJSON()` and
 * load with `load()`; the forest is seeded, so training is deterministic.
 *
 * @module
 */
import { RandomForestClassifier } from "ml-random-forest";
import { DecisionTreeClassifier } from "ml-cart";
import type { Classifier, ClassifierKind } from "./classifier.ts";

/** The forest's settings (measured in bench/ml.ts: more trees cost latency, not accuracy). */
export const FOREST_OPTIONS = { nEstimators: 30, maxFeatures: 0.5, replacement: true } as const;

interface MlModel {
  predict(x: number[][]): number[];
  toJSON(): unknown;
}

function wrap(model: MlModel): Classifier {
  return {
    predict: (x) => model.predict([x as number[]])[0],
    toJSON: () => model.toJSON(),
  };
}

function loadWith(kind: string, load: (p: unknown) => MlModel, params: unknown): Classifier {
  if (!params || typeof params !== "object") throw new Error(`${kind} parameters missing`);
  let model: MlModel;
  try {
    model = load(params);
  } catch (e) {
    throw new Error(`${kind} parameters are malformed: ${(e as Error).message}`);
  }
  return wrap(model);
}

/** `ml-random-forest` as a {@link ClassifierKind} (`"random-forest"`). */
export const randomForestKind: ClassifierKind = {
  kind: "random-forest",
  train(x, y, _classes, seed) {
    const model = new RandomForestClassifier({ ...FOREST_OPTIONS, seed });
    model.train(x, y);
    return wrap(model as unknown as MlModel);
  },
  load: (params) =>
    loadWith(
      "random-forest",
      // deno-lint-ignore no-explicit-any
      (p) => RandomForestClassifier.load(p as any) as unknown as MlModel,
      params,
    ),
};

/** `ml-cart` as a {@link ClassifierKind} (`"decision-tree"`). */
export const decisionTreeKind: ClassifierKind = {
  kind: "decision-tree",
  train(x, y) {
    const model = new DecisionTreeClassifier({ maxDepth: 8, minNumSamples: 3 });
    model.train(x, y);
    return wrap(model as unknown as MlModel);
  },
  load: (params) =>
    loadWith(
      "decision-tree",
      // deno-lint-ignore no-explicit-any
      (p) => DecisionTreeClassifier.load(p as any) as unknown as MlModel,
      params,
    ),
};
