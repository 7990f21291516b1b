/**
 * Topic configuration keys the broker understands: defaults, validation and the typed view
 * the log uses. Unknown keys and invalid values are rejected with INVALID_CONFIG.
 *
 * @module
 */
import { ErrorCode, KafkaError } from "../../kafka/protocol/errors.ts";

type Check = (v: string) => boolean;

const INT32_MAX = 2147483647;
const int = (min: number): Check => (v) =>
  /^-?\d+$/.test(v) && Number(v) >= min && Number(v) <= INT32_MAX;
const long = (min: number): Check => (v) => /^-?\d+$/.test(v) && Number(v) >= min;
const oneOf = (...vals: string[]): Check => (v) => vals.includes(v);
const bool: Check = (v) => v === "true" || v === "false";
const ratio: Check = (v) =>
  v.trim() !== "" && !isNaN(Number(v)) && Number(v) >= 0 && Number(v) <= 1;
const replicas: Check = (v) => /^(\*|[\d:,\s]*)$/.test(v);
const cleanup: Check = (v) => {
  const parts = v.split(",").map((s) => s.trim()).filter((s) => s !== "");
  return parts.length > 0 && parts.every((p) => p === "delete" || p === "compact");
};

/** Every supported topic config with its Kafka default and a validator. */
export const TOPIC_CONFIGS: ReadonlyMap<string, { default: string; check: Check }> = new Map([
  ["cleanup.policy", { default: "delete", check: cleanup }],
  ["compression.type", {
    default: "producer",
    check: oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
  }],
  ["delete.retention.ms", { default: "86400000", check: long(0) }],
  ["file.delete.delay.ms", { default: "60000", check: long(0) }],
  ["flush.messages", { default: "9223372036854775807", check: long(1) }],
  ["flush.ms", { default: "9223372036854775807", check: long(0) }],
  ["index.interval.bytes", { default: "4096", check: int(0) }],
  ["max.compaction.lag.ms", { default: "9223372036854775807", check: long(1) }],
  ["max.message.bytes", { default: "1048588", check: int(0) }],
  ["message.timestamp.type", {
    default: "CreateTime",
    check: oneOf("CreateTime", "LogAppendTime"),
  }],
  ["min.cleanable.dirty.ratio", { default: "0.5", check: ratio }],
  ["min.compaction.lag.ms", { default: "0", check: long(0) }],
  ["min.insync.replicas", { default: "1", check: int(1) }],
  ["preallocate", { default: "false", check: bool }],
  ["retention.bytes", { default: "-1", check: long(-1) }],
  ["retention.ms", { default: "604800000", check: long(-1) }],
  ["segment.bytes", { default: "67108864", check: int(14) }],
  ["segment.index.bytes", { default: "10485760", check: int(4) }],
  ["segment.jitter.ms", { default: "0", check: long(0) }],
  ["segment.ms", { default: "604800000", check: long(1) }],
  ["unclean.leader.election.enable", { default: "false", check: bool }],
  // Valid Kafka topic configs that mean nothing on one node without tiered storage: accepted
  // (so tools that set them work) and listed, never acted on.
  ["follower.replication.throttled.replicas", { default: "", check: replicas }],
  ["leader.replication.throttled.replicas", { default: "", check: replicas }],
  ["local.retention.bytes", { default: "-2", check: long(-2) }],
  ["local.retention.ms", { default: "-2", check: long(-2) }],
  ["message.downconversion.enable", { default: "true", check: bool }],
  ["message.timestamp.difference.max.ms", { default: "9223372036854775807", check: long(0) }],
  ["remote.storage.enable", { default: "false", check: bool }],
]);

/**
 * Validates `configs` against {@link TOPIC_CONFIGS}; throws INVALID_CONFIG naming the key.
 * Returns a copy holding only the explicitly set keys.
 */
export function validateTopicConfigs(
  topic: string,
  configs: Record<string, string | null | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(configs)) {
    if (v == null) continue;
    const spec = TOPIC_CONFIGS.get(k);
    if (!spec) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `topic ${topic}: unknown config "${k}"`);
    }
    if (!spec.check(String(v))) {
      throw new KafkaError(
        ErrorCode.INVALID_CONFIG,
        `topic ${topic}: invalid value "${v}" for ${k}`,
      );
    }
    out[k] = String(v);
  }
  return out;
}

/** The typed settings the log reads on each operation. */
export interface LogConfig {
  compact: boolean;
  deletePolicy: boolean;
  retentionMs: number;
  retentionBytes: number;
  segmentBytes: number;
  segmentMs: number;
  maxMessageBytes: number;
  logAppendTime: boolean;
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  minCleanableDirtyRatio: number;
}

/** Resolves a topic's explicit configs over the defaults into a {@link LogConfig}. */
export function resolveLogConfig(configs: Record<string, string>): LogConfig {
  const get = (k: string) => configs[k] ?? TOPIC_CONFIGS.get(k)!.default;
  const policy = get("cleanup.policy").split(",").map((s) => s.trim());
  return {
    compact: policy.includes("compact"),
    deletePolicy: policy.includes("delete"),
    retentionMs: Number(get("retention.ms")),
    retentionBytes: Number(get("retention.bytes")),
    segmentBytes: Number(get("segment.bytes")),
    segmentMs: Number(get("segment.ms")),
    maxMessageBytes: Number(get("max.message.bytes")),
    logAppendTime: get("message.timestamp.type") === "LogAppendTime",
    deleteRetentionMs: Number(get("delete.retention.ms")),
    minCompactionLagMs: Number(get("min.compaction.lag.ms")),
    minCleanableDirtyRatio: Number(get("min.cleanable.dirty.ratio")),
  };
}

const NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Throws INVALID_TOPIC_EXCEPTION unless `name` is a legal Kafka topic name. */
export function validateTopicName(name: string): void {
  if (name === "." || name === ".." || !NAME.test(name)) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `invalid topic name ${
        JSON.stringify(name)
      }: use 1-249 characters of [a-zA-Z0-9._-], not "." or ".."`,
    );
  }
}
