/**
 * Tree models from the ml.js family (pure JavaScript, run in Deno from npm): a random forest
 * (`ml-random-forest`) and a single CART tree (`ml-cart`). Both serialize with `toJSON()` and
 * load with `load()`; the forest is seeded, so training is deterministic.
 *
 * The libraries are imported on first need ({@link loadTreeLibraries}), not with the toolkit:
 * they cost 120–170 ms and 15 MB to load, which apps that never use them should not pay.
 *
 * @module
 */
import type { Classifier, ClassifierKind } from "./classifier.ts";

/** The forest's settings. */
export const FOREST_OPTIONS = { nEstimators: 30, maxFeatures: 0.5, replacement: true } as const;

interface MlModel {
  predict(x: number[][]): number[];
  toJSON(): unknown;
  train(x: number[][], y: number[]): void;
}

interface MlClass {
  new (options: Record<string, unknown>): MlModel;
  load(model: unknown): MlModel;
}

let forest: MlClass | undefined;
let tree: MlClass | undefined;

/** Imports ml-random-forest and ml-cart (once); the tree kinds need it before use. */
export async function loadTreeLibraries(): Promise<void> {
  if (forest && tree) return;
  const [rf, cart] = await Promise.all([import("ml-random-forest"), import("ml-cart")]);
  forest = rf.RandomForestClassifier as unknown as MlClass;
  tree = cart.DecisionTreeClassifier as unknown as MlClass;
}

function lib(kind: string, cls: MlClass | undefined): MlClass {
  if (!cls) throw new Error(`${kind} needs loadTreeLibraries() first`);
  return cls;
}

function wrap(model: MlModel): Classifier {
  return {
    predict: (x) => model.predict([x as number[]])[0],
    toJSON: () => model.toJSON(),
  };
}

function loadWith(kind: string, cls: MlClass | undefined, params: unknown): Classifier {
  const c = lib(kind, cls);
  if (!params || typeof params !== "object") throw new Error(`${kind} parameters missing`);
  try {
    return wrap(c.load(params));
  } catch (e) {
    throw new Error(`${kind} parameters are malformed: ${(e as Error).message}`);
  }
}

/** `ml-random-forest` as a {@link ClassifierKind} (`"random-forest"`). */
export const randomForestKind: ClassifierKind = {
  kind: "random-forest",
  train(x, y, _classes, seed) {
    const model = new (lib("random-forest", forest))({ ...FOREST_OPTIONS, seed });
    model.train(x, y);
    return wrap(model);
  },
  load: (params) => loadWith("random-forest", forest, params),
};

/** `ml-cart` as a {@link ClassifierKind} (`"decision-tree"`). */
export const decisionTreeKind: ClassifierKind = {
  kind: "decision-tree",
  train(x, y) {
    const model = new (lib("decision-tree", tree))({ maxDepth: 8, minNumSamples: 3 });
    model.train(x, y);
    return wrap(model);
  },
  load: (params) => loadWith("decision-tree", tree, params),
};
