/**
 * DeleteTopics (key 20), v0–1: deletes topics by name; unknown ones get
 * UNKNOWN_TOPIC_OR_PARTITION.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode, type ErrorInfo } from "../../kafka/protocol/errors.ts";
import { errorInfo } from "./_errors.ts";
import type { ApiHandler } from "./_types.ts";

/** The DeleteTopics handler. */
export const handler: ApiHandler = {
  key: 20,
  name: "DeleteTopics",
  minVersion: 0,
  maxVersion: 1,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const names = body.array((r) => r.string());
    body.int32(); // timeout_ms
    const { logs, logger } = ctx.broker;
    const results = names.map((name): { name: string; error: ErrorInfo } => {
      try {
        logs.deleteTopic(name);
        logger.info(`deleted topic ${name} for ${ctx.clientAddress}`);
        return { name, error: ErrorCode.NONE };
      } catch (err) {
        return { name, error: errorInfo(err, ctx, `DeleteTopics ${name}`) };
      }
    });
    const w = new Writer(32 + names.length * 32);
    if (v >= 1) w.int32(0); // throttle_time_ms
    w.array(results, (w, r) => void w.string(r.name).int16(r.error.code));
    return w.finish();
  },
};
