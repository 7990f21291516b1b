/**
 * CreateTopics (key 19), v0–4.
 *
 * A single node only takes replication factor 1 (or -1, "broker default"). num_partitions -1
 * (v4) means the broker default; manual assignments must place every partition on this node.
 * Configs are validated by the storage layer (INVALID_CONFIG). `validate_only` (v1+) checks
 * everything without creating the topic.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode, type ErrorInfo } from "../../kafka/protocol/errors.ts";
import { errorInfo, errorMessage } from "./_errors.ts";
import type { ApiHandler } from "./_types.ts";
import { isValidTopicName } from "./_topics.ts";

interface Result {
  name: string;
  error: ErrorInfo;
  message: string | null;
}

/** The CreateTopics handler. */
export const handler: ApiHandler = {
  key: 19,
  name: "CreateTopics",
  minVersion: 0,
  maxVersion: 4,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const topics = body.array((r) => ({
      name: r.string(),
      numPartitions: r.int32(),
      replicationFactor: r.int16(),
      assignments: r.array((r) => ({ partition: r.int32(), brokerIds: r.array((r) => r.int32()) })),
      configs: r.array((r) => ({ name: r.string(), value: r.nullableString() })),
    }));
    body.int32(); // timeout_ms
    const validateOnly = v >= 1 ? body.bool() : false;

    const { logs, config, logger } = ctx.broker;
    const counts = new Map<string, number>();
    for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);

    const results = topics.map((t): Result => {
      const fail = (error: ErrorInfo, message: string): Result => ({
        name: t.name,
        error,
        message,
      });
      if ((counts.get(t.name) ?? 0) > 1) {
        return fail(ErrorCode.INVALID_REQUEST, `topic ${t.name} appears more than once`);
      }
      if (!isValidTopicName(t.name)) {
        return fail(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `invalid topic name ${
            JSON.stringify(t.name)
          }: use 1-249 of [a-zA-Z0-9._-], not "." or ".."`,
        );
      }
      let partitions = t.numPartitions;
      if (t.assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          return fail(
            ErrorCode.INVALID_REQUEST,
            "num_partitions and replication_factor must be -1 when assignments are given",
          );
        }
        const bad = t.assignments.find((a) =>
          a.brokerIds.length !== 1 || a.brokerIds[0] !== config.nodeId
        );
        if (bad) {
          return fail(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `partition ${bad.partition} must be assigned to broker ${config.nodeId} only`,
          );
        }
        partitions = t.assignments.length;
      } else {
        if (t.replicationFactor !== 1 && t.replicationFactor !== -1) {
          return fail(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `replication factor ${t.replicationFactor} is larger than the 1 available broker`,
          );
        }
        if (partitions === -1) partitions = config.defaultPartitions;
        if (partitions <= 0) {
          return fail(
            ErrorCode.INVALID_PARTITIONS,
            `number of partitions must be positive, got ${partitions}`,
          );
        }
      }
      const configs: Record<string, string> = {};
      for (const c of t.configs) {
        if (c.value === null) {
          return fail(ErrorCode.INVALID_CONFIG, `config ${c.name} has a null value`);
        }
        configs[c.name] = c.value;
      }
      try {
        logs.createTopic(t.name, partitions, configs, validateOnly);
        if (!validateOnly) {
          logger.info(
            `created topic ${t.name} with ${partitions} partition(s) for ${ctx.clientAddress}`,
          );
        }
        return { name: t.name, error: ErrorCode.NONE, message: null };
      } catch (err) {
        return fail(errorInfo(err, ctx, `CreateTopics ${t.name}`), errorMessage(err));
      }
    });

    const w = new Writer(64 + results.length * 64);
    if (v >= 2) w.int32(0); // throttle_time_ms
    w.array(results, (w, r) => {
      w.string(r.name).int16(r.error.code);
      if (v >= 1) w.nullableString(r.message);
    });
    return w.finish();
  },
};
