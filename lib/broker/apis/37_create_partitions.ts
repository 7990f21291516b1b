/**
 * CreatePartitions (key 37), v0–1: raises a topic's partition count (never lowers it).
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode, type ErrorInfo } from "../../kafka/protocol/errors.ts";
import { errorInfo, errorMessage } from "./_errors.ts";
import type { ApiHandler } from "./_types.ts";

/** The CreatePartitions handler. */
export const handler: ApiHandler = {
  key: 37,
  name: "CreatePartitions",
  minVersion: 0,
  maxVersion: 1,
  handle(body, ctx) {
    const topics = body.array((r) => ({
      name: r.string(),
      count: r.int32(),
      assignments: r.nullableArray((r) => r.array((r) => r.int32())),
    }));
    body.int32(); // timeout_ms
    const validateOnly = body.bool();
    const { logs, config, logger } = ctx.broker;
    const counts = new Map<string, number>();
    for (const t of topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);

    const results = topics.map((t): { name: string; error: ErrorInfo; message: string | null } => {
      const fail = (error: ErrorInfo, message: string) => ({ name: t.name, error, message });
      if ((counts.get(t.name) ?? 0) > 1) {
        return fail(ErrorCode.INVALID_REQUEST, `topic ${t.name} appears more than once`);
      }
      const topic = logs.getTopic(t.name);
      if (!topic) {
        return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${t.name} does not exist`);
      }
      if (t.assignments !== null) {
        if (t.assignments.length !== t.count - topic.partitions) {
          return fail(
            ErrorCode.INVALID_REQUEST,
            `${t.assignments.length} assignments given for ${
              t.count - topic.partitions
            } new partitions`,
          );
        }
        if (t.assignments.some((a) => a.length !== 1 || a[0] !== config.nodeId)) {
          return fail(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `new partitions must be assigned to broker ${config.nodeId} only`,
          );
        }
      }
      try {
        logs.createPartitions(t.name, t.count, validateOnly);
        if (!validateOnly) {
          logger.info(`topic ${t.name} now has ${t.count} partitions (${ctx.clientAddress})`);
        }
        return { name: t.name, error: ErrorCode.NONE, message: null };
      } catch (err) {
        return fail(errorInfo(err, ctx, `CreatePartitions ${t.name}`), errorMessage(err));
      }
    });
    const w = new Writer(64 + results.length * 64);
    w.int32(0); // throttle_time_ms
    w.array(results, (w, r) => void w.string(r.name).int16(r.error.code).nullableString(r.message));
    return w.finish();
  },
};
