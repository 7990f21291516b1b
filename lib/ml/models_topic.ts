/**
 * The `models` topic from the outside: create it compacted, read every version and the
 * deployment, publish a model or a deployment, pick the next version number.
 *
 * @module
 */
import type { Kafka } from "kafkajs";
import { loadClassifierKinds } from "./classifier.ts";
import {
  decodeDeployment,
  type DeploymentRecord,
  loadModel,
  modelKey,
  type ModelRecord,
} from "./model_record.ts";
import { jsonValue, readTopic } from "./topic_reader.ts";

/** Default topic names of the episode-4 pipeline. */
export const ML_TOPICS = {
  raw: "raw-activity",
  features: "features",
  labels: "labels",
  models: "models",
  predictions: "predictions",
  shadow: "predictions-shadow",
  alerts: "alerts",
  kpis: "model-kpis",
} as const;

/** Topic config of `models`: compacted, so the latest record per key is kept forever. */
export const MODELS_TOPIC_CONFIG = { "cleanup.policy": "compact" } as const;

/** Creates the compacted models topic if missing. */
export async function ensureModelsTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic,
        numPartitions: 1,
        configEntries: Object.entries(MODELS_TOPIC_CONFIG).map(([name, value]) => ({
          name,
          value,
        })),
      }],
    }).catch(async (e) => {
      if (!(await admin.listTopics()).includes(topic)) throw e;
    });
  } finally {
    await admin.disconnect();
  }
}

/** What the models topic holds for one model name. */
export interface ModelsState {
  /** Every model record by version (unusable ones too: a version number is never reused). */
  models: Map<number, ModelRecord>;
  /** Why a version cannot serve, for those inference would refuse. */
  unusable: Map<number, string>;
  deployment?: DeploymentRecord;
}

/** Reads the models topic (latest record per key wins; unusable records are skipped). */
export async function readModels(kafka: Kafka, topic: string, name: string): Promise<ModelsState> {
  await loadClassifierKinds();
  const out: ModelsState = { models: new Map(), unusable: new Map() };
  for (const r of await readTopic(kafka, topic)) {
    const v = jsonValue(r.message) as
      | { type?: string; name?: string; version?: number }
      | undefined;
    if (!v || v.name !== name) continue;
    if (v.type === "model" && Number.isInteger(v.version)) {
      out.models.set(v.version!, v as ModelRecord);
      try {
        loadModel(v);
        out.unusable.delete(v.version!);
      } catch (e) {
        out.unusable.set(v.version!, (e as Error).message);
      }
    } else if (v.type === "deployment") {
      try {
        out.deployment = decodeDeployment(v);
      } catch { /* an unusable deployment is skipped, as inference does */ }
    }
  }
  return out;
}

/** Publishes records to the models topic (model records keyed `<name>@<version>`). */
export async function publishToModels(
  kafka: Kafka,
  topic: string,
  records: ReadonlyArray<ModelRecord | DeploymentRecord>,
): Promise<void> {
  await ensureModelsTopic(kafka, topic);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      messages: records.map((r) => ({
        key: r.type === "model" ? modelKey(r.name, r.version) : r.name,
        value: JSON.stringify(r),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** A deployment serving one version to every device, no shadows (promotion). */
export function soleDeployment(name: string, version: number): DeploymentRecord {
  return {
    type: "deployment",
    name,
    default: version,
    variants: [{ version, weight: 1 }],
    shadow: [],
    experiment: "",
    at: new Date().toISOString(),
  };
}
