/**
 * The classifier interface every model kind implements, and the kinds by name: the model
 * record names its kind, and inference loads it through {@link CLASSIFIER_KINDS}.
 *
 * @module
 */
import { decisionTreeKind, loadTreeLibraries, randomForestKind } from "./model_forest.ts";
import { softmaxKind } from "./model_softmax.ts";

/** A trained classifier over numeric feature vectors; classes are indices into the record's list. */
export interface Classifier {
  /** The class index for one feature vector. */
  predict(x: readonly number[]): number;
  /** Serializable parameters; `kind.load(toJSON())` gives an equal classifier. */
  toJSON(): unknown;
}

/** A way to train and load classifiers. */
export interface ClassifierKind {
  readonly kind: string;
  /** Trains on vectors `x` with class indices `y` in `[0, classes)`, deterministically for `seed`. */
  train(x: number[][], y: number[], classes: number, seed: number): Classifier;
  /** Rebuilds a classifier from `toJSON()` output; throws on malformed parameters. */
  load(params: unknown, features: number, classes: number): Classifier;
}

/** Every kind, by name. */
export const CLASSIFIER_KINDS: Readonly<Record<string, ClassifierKind>> = {
  [randomForestKind.kind]: randomForestKind,
  [decisionTreeKind.kind]: decisionTreeKind,
  [softmaxKind.kind]: softmaxKind,
};

/** Readies every kind (imports the tree libraries); call once before training or loading. */
export function loadClassifierKinds(): Promise<void> {
  return loadTreeLibraries();
}
