/**
 * Keeps a {@link ModelRegistry} up to date from the `models` topic: reads it from the first
 * offset (it is a table, not a queue), then follows it, so a newly published version or
 * deployment swaps in while the app runs. Records are named `models[partition]@offset` in
 * refusals.
 *
 * @module
 */
import { createKafka } from "../stream/kafka/_kafka.ts";
import { Logger } from "../util/log.ts";
import { loadClassifierKinds } from "./classifier.ts";
import { ensureModelsTopic } from "./models_topic.ts";
import type { ModelRegistry } from "./registry.ts";
import { followTopic, type TopicFollower } from "./topic_reader.ts";

/**
 * Starts following `topic` into `registry` (creating the compacted topic if missing) and
 * resolves once the records present at start are applied.
 *
 * @example
 * ```ts ignore
 * import { ModelRegistry, watchModels } from "@sa/toolkit";
 * const registry = new ModelRegistry("activity");
 * const watch = await watchModels("localhost:19092", "models", registry);
 * console.log(registry.serving?.variants.map((v) => v.version));
 * await watch.stop();
 * ```
 */
export async function watchModels(
  brokerAddress: string,
  topic: string,
  registry: ModelRegistry,
): Promise<TopicFollower> {
  await loadClassifierKinds();
  const kafka = createKafka(brokerAddress, "sa-ml-models", new Logger("models", "WARN"));
  await ensureModelsTopic(kafka, topic);
  // A batch is applied as one change: models published with their deployment in one send
  // (as training does) swap in together, never one by one.
  const follower = await followTopic(
    kafka,
    topic,
    () => {},
    "sa-ml-models",
    (records) =>
      registry.batch(() => {
        for (const r of records) {
          const key = r.message.key ? new TextDecoder().decode(r.message.key) : null;
          registry.applyBytes(key, r.message.value, `${topic}[${r.partition}]@${r.offset}`);
        }
      }),
  );
  await follower.caughtUp;
  return follower;
}
