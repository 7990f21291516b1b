/**
 * CreateTopics (key 19) v3: topics with a partition count, replication factor and configs.
 * v3 is served by every broker since Kafka 2.0 (Kafka 4 dropped v0–1).
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const CREATE_TOPICS = { key: 19, version: 3 } as const;

/** A topic to create. */
export interface NewTopic {
  name: string;
  /** Default -1: the broker's default. */
  partitions?: number;
  /** Default -1: the broker's default. */
  replicationFactor?: number;
  /** Topic configs, e.g. `{ "cleanup.policy": "compact" }`. */
  configs?: Readonly<Record<string, string>>;
}

/** One topic's answer. */
export interface CreateTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

/** Request body. */
export function encodeCreateTopicsRequest(
  w: Writer,
  topics: readonly NewTopic[],
  timeoutMs: number,
  validateOnly: boolean,
): void {
  w.array(topics, (w, t) => {
    w.string(t.name).int32(t.partitions ?? -1).int16(t.replicationFactor ?? -1);
    w.int32(0); // assignments
    w.array(Object.entries(t.configs ?? {}), (w, [k, v]) => void w.string(k).nullableString(v));
  });
  w.int32(timeoutMs).bool(validateOnly);
}

/** Response body. */
export function decodeCreateTopicsResponse(r: Reader): CreateTopicResult[] {
  r.int32(); // throttle_time_ms
  return r.array((r) => ({
    name: r.string(),
    errorCode: r.int16(),
    errorMessage: r.nullableString(),
  }));
}
