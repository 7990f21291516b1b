/**
 * The records of the compacted `models` topic: versioned models (key `<name>@<version>`) and
 * the deployment of a model name (key `<name>`: default version, A/B weights, shadows). The
 * decoder checks everything inference relies on and says what is wrong, so a corrupt or
 * incompatible record can be refused without touching the model that is serving.
 *
 * @module
 */
import { type Classifier, CLASSIFIER_KINDS } from "./classifier.ts";
import type { FeatureBaseline } from "./drift.ts";
import { FEATURE_NAMES, FEATURE_SCHEMA } from "./features.ts";

/** Per-class precision and recall on the held-out windows. */
export interface ClassMetrics {
  /** Share of predictions of this class that were right. */
  precision: number;
  /** Share of this class's windows predicted as it. */
  recall: number;
  /** Held-out windows of this class. */
  support: number;
}

/** What training measured on the held-out windows. */
export interface TrainingMetrics {
  /** Share of held-out windows predicted right. */
  accuracy: number;
  /** Accuracy of always answering the most frequent training class. */
  baselineAccuracy: number;
  /** Precision and recall by class. */
  perClass: Record<string, ClassMetrics>;
  /** `confusion[actual][predicted]`, in the record's class order. */
  confusion: number[][];
  /** Windows trained on. */
  trainWindows: number;
  /** Windows held out. */
  testWindows: number;
  /** Training time, ms. */
  trainMs: number;
}

/** A versioned model. */
export interface ModelRecord {
  /** Record type. */
  type: "model";
  /** Model name (`activity`). */
  name: string;
  /** Version, from 1, one more than the last published. */
  version: number;
  /** Classifier kind (`softmax`, `random-forest`, `decision-tree`). */
  kind: string;
  /** Seed of the split and the model. */
  seed: number;
  /** Feature schema the model was trained on. */
  schema: string;
  /** Feature names, in the order the model takes them. */
  features: string[];
  /** Class names; predictions are indices into this list. */
  classes: string[];
  /** The classifier's parameters (its `toJSON()`). */
  params: unknown;
  /** Held-out metrics. */
  metrics: TrainingMetrics;
  /** The training data: event-time range (ms), windows and devices. */
  data: { from: number; to: number; windows: number; devices: number; source: string };
  /** Training distribution per feature (for drift). */
  baselines: FeatureBaseline[];
  /** When it was trained (ISO 8601). */
  trainedAt: string;
}

/** One variant of a deployment: a version and its share of devices. */
export interface Variant {
  /** Model version. */
  version: number;
  /** Share of devices, relative to the other variants' weights. */
  weight: number;
}

/** Which versions of a model serve: weighted variants (sticky per device) and shadows. */
export interface DeploymentRecord {
  /** Record type. */
  type: "deployment";
  /** Model name. */
  name: string;
  /** The default version (promotion sets it; the only variant when there is no A/B). */
  default: number;
  /** Served variants; each device is served by one of them. */
  variants: Variant[];
  /** Versions scored on every input but never served. */
  shadow: number[];
  /** Salt of the split: a new experiment reshuffles devices. */
  experiment: string;
  /** When it was published (ISO 8601). */
  at: string;
}

/** A decoded model with its classifier loaded. */
export interface LoadedModel {
  /** The record as published. */
  record: ModelRecord;
  /** The loaded classifier. */
  classifier: Classifier;
}

/** Key of a model record in the `models` topic. */
export function modelKey(name: string, version: number): string {
  return `${name}@${version}`;
}

function fail(what: string): never {
  throw new Error(what);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Decodes and loads a model record, checking it fits this build's features: its schema, its
 * feature names (all known), its classes and its parameters. Throws a one-line reason.
 */
export function loadModel(value: unknown): LoadedModel {
  if (!isObject(value) || value.type !== "model") fail("not a model record");
  const r = value as unknown as ModelRecord;
  if (typeof r.name !== "string" || !r.name) fail("model record without a name");
  if (!Number.isInteger(r.version) || r.version < 1) {
    fail(`bad version ${JSON.stringify(r.version)}`);
  }
  if (r.schema !== FEATURE_SCHEMA) {
    fail(`feature schema "${r.schema}" is not this build's "${FEATURE_SCHEMA}"`);
  }
  if (!Array.isArray(r.features) || r.features.length === 0) fail("no feature list");
  const unknown = r.features.find((f) => !FEATURE_NAMES.includes(f));
  if (unknown !== undefined) fail(`unknown feature "${unknown}"`);
  if (!Array.isArray(r.classes) || r.classes.length < 2) fail("fewer than two classes");
  if (!Array.isArray(r.baselines) || r.baselines.length !== r.features.length) {
    fail("drift baselines do not match the features");
  }
  const kind = CLASSIFIER_KINDS[r.kind];
  if (!kind) fail(`unknown model kind "${r.kind}"`);
  const classifier = kind.load(r.params, r.features.length, r.classes.length);
  return { record: r, classifier };
}

/** Decodes a deployment record; throws a one-line reason. */
export function decodeDeployment(value: unknown): DeploymentRecord {
  if (!isObject(value) || value.type !== "deployment") fail("not a deployment record");
  const d = value as unknown as DeploymentRecord;
  if (!Number.isInteger(d.default)) fail("deployment without a default version");
  if (!Array.isArray(d.variants) || d.variants.length === 0) fail("deployment without variants");
  for (const v of d.variants) {
    if (!Number.isInteger(v?.version) || !(v.weight > 0)) {
      fail(`bad variant ${JSON.stringify(v)}: needs an integer version and a weight > 0`);
    }
  }
  if (!Array.isArray(d.shadow) || !d.shadow.every(Number.isInteger)) fail("bad shadow list");
  return { ...d, experiment: typeof d.experiment === "string" ? d.experiment : "" };
}
