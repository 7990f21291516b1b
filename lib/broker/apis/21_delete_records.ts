/**
 * DeleteRecords (key 21), v0–1: moves each partition's log start offset forward (-1 = the
 * high watermark) and answers the new low watermark.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode, type ErrorInfo } from "../../kafka/protocol/errors.ts";
import { errorInfo } from "./_errors.ts";
import type { ApiHandler } from "./_types.ts";

/** The DeleteRecords handler. */
export const handler: ApiHandler = {
  key: 21,
  name: "DeleteRecords",
  minVersion: 0,
  maxVersion: 1,
  handle(body, ctx) {
    const topics = body.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), offset: r.int64() })),
    }));
    body.int32(); // timeout_ms
    const { logs } = ctx.broker;
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): { partition: number; low: number; error: ErrorInfo } => {
        const log = logs.partition(t.name, p.partition);
        if (!log) {
          return { partition: p.partition, low: -1, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        }
        try {
          return {
            partition: p.partition,
            low: log.deleteRecords(p.offset),
            error: ErrorCode.NONE,
          };
        } catch (err) {
          const error = errorInfo(err, ctx, `DeleteRecords ${t.name}-${p.partition}`);
          return { partition: p.partition, low: -1, error };
        }
      }),
    }));
    const w = new Writer(64 + topics.length * 64);
    w.int32(0); // throttle_time_ms
    w.array(results, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => void w.int32(p.partition).int64(p.low).int16(p.error.code));
    });
    return w.finish();
  },
};
