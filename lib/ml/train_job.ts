/**
 * One training run, as `sa ml train` and the `train` app do it: labelled windows from a
 * recording file or from the `features` and `labels` topics, one model per kind (A/B
 * variants and shadows), the next version numbers from the `models` topic, and the records
 * published there with a deployment that makes them serve.
 *
 * @module
 */
import type { Kafka } from "kafkajs";
import { type Examples, labelledExamples, recordingFeatures } from "./dataset.ts";
import { FEATURE_NAMES, type FeatureRow } from "./features.ts";
import type { LabelSegment } from "./labels.ts";
import type { DeploymentRecord, ModelRecord } from "./model_record.ts";
import { publishToModels, readModels } from "./models_topic.ts";
import { jsonValue, readTopic } from "./topic_reader.ts";
import { trainModel } from "./training.ts";

/** What to train and how to deploy it. */
export interface TrainPlan {
  /** Model name. */
  name: string;
  /** One kind per served variant (two or more: an A/B test). */
  kinds: string[];
  /** Weight per variant (default equal). */
  weights?: number[];
  /** Kinds trained as shadows: scored on every input, never served. */
  shadowKinds?: string[];
  /** Seed of the split and of the models. */
  seed: number;
  /** Publish a deployment making these versions serve (default true). */
  deploy?: boolean;
}

/** Labelled windows of a JSON-lines recording. */
export function examplesFromFile(text: string, file: string): Examples {
  const { features, segments } = recordingFeatures(text, file);
  return labelledExamples(features, segments, FEATURE_NAMES);
}

/** Labelled windows of the features and labels topics, as they are now. */
export async function examplesFromTopics(
  kafka: Kafka,
  featuresTopic: string,
  labelsTopic: string,
): Promise<Examples> {
  const features = (await readTopic(kafka, featuresTopic))
    .map((r) => jsonValue(r.message) as FeatureRow).filter((f) => f?.features);
  const segments = (await readTopic(kafka, labelsTopic))
    .map((r) => jsonValue(r.message) as LabelSegment).filter((s) => s?.label);
  return labelledExamples(features, segments, FEATURE_NAMES);
}

/** Trains every kind of the plan on `examples` with consecutive versions after `lastVersion`. */
export function trainPlan(
  examples: Examples,
  plan: TrainPlan,
  lastVersion: number,
  source: string,
): { models: ModelRecord[]; deployment?: DeploymentRecord } {
  const kinds = [...plan.kinds, ...(plan.shadowKinds ?? [])];
  if (plan.kinds.length === 0) throw new Error("nothing to train: no kinds given");
  const weights = plan.weights ?? plan.kinds.map(() => 1);
  if (weights.length !== plan.kinds.length || !weights.every((w) => w > 0)) {
    throw new Error(`need one weight > 0 per kind (${plan.kinds.length}), got ${weights}`);
  }
  const models = kinds.map((kind, i) =>
    trainModel(examples, {
      kind,
      seed: plan.seed,
      name: plan.name,
      version: lastVersion + i + 1,
      source,
    })
  );
  if (plan.deploy === false) return { models };
  const served = models.slice(0, plan.kinds.length);
  const deployment: DeploymentRecord = {
    type: "deployment",
    name: plan.name,
    default: served[0].version,
    variants: served.map((m, i) => ({ version: m.version, weight: weights[i] })),
    shadow: models.slice(plan.kinds.length).map((m) => m.version),
    experiment: served.length > 1
      ? `${plan.name}-ab-${served.map((m) => m.version).join("-")}`
      : "",
    at: new Date().toISOString(),
  };
  return { models, deployment };
}

/** Trains and publishes; returns what was published. */
export async function trainAndPublish(
  kafka: Kafka,
  modelsTopic: string,
  examples: Examples,
  plan: TrainPlan,
  source: string,
): Promise<{ models: ModelRecord[]; deployment?: DeploymentRecord }> {
  const existing = await readModels(kafka, modelsTopic, plan.name);
  const last = Math.max(0, ...existing.models.keys());
  const out = trainPlan(examples, plan, last, source);
  await publishToModels(kafka, modelsTopic, [
    ...out.models,
    ...(out.deployment ? [out.deployment] : []),
  ]);
  return out;
}

/**
 * Parses a comma list (`"softmax,random-forest"`).
 *
 * @example
 * ```ts
 * import { commaList } from "@sa/toolkit";
 * console.log(commaList(" softmax, random-forest ,")); // ["softmax", "random-forest"]
 * ```
 */
export function commaList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}
