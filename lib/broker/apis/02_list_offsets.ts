/**
 * ListOffsets (key 2), v1–3: offsets by timestamp.
 *
 * -1 (latest) answers the high watermark, or the last stable offset for read_committed (v2+);
 * -2 (earliest) answers the log start offset; both with timestamp -1. A timestamp >= 0 answers
 * the earliest record at or after it, with that record's timestamp, or -1/-1 when none is.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode, type ErrorInfo } from "../../kafka/protocol/errors.ts";
import { errorInfo } from "./_errors.ts";
import type { ApiHandler } from "./_types.ts";

const LATEST = -1;
const EARLIEST = -2;

interface Answer {
  partition: number;
  error: ErrorInfo;
  timestamp: number;
  offset: number;
}

/** The ListOffsets handler. */
export const handler: ApiHandler = {
  key: 2,
  name: "ListOffsets",
  minVersion: 1,
  maxVersion: 3,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    body.int32(); // replica_id
    const isolation = v >= 2 ? body.int8() : 0;
    const topics = body.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ partition: r.int32(), timestamp: r.int64() })),
    }));
    const logs = ctx.broker.logs;
    const answers = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): Answer => {
        const fail = (error: ErrorInfo) => ({
          partition: p.partition,
          error,
          timestamp: -1,
          offset: -1,
        });
        const log = logs.partition(t.name, p.partition);
        if (!log) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        const ok = (offset: number, timestamp = -1) => ({
          partition: p.partition,
          error: ErrorCode.NONE,
          timestamp,
          offset,
        });
        if (p.timestamp === LATEST) {
          return ok(isolation === 1 ? log.lastStableOffset : log.highWatermark);
        }
        if (p.timestamp === EARLIEST) return ok(log.logStartOffset);
        if (p.timestamp < 0) {
          // -3 (max timestamp) and below exist only in versions we do not serve.
          return fail(ErrorCode.INVALID_REQUEST);
        }
        try {
          const found = log.offsetForTimestamp(p.timestamp);
          return found ? ok(found.offset, found.timestamp) : ok(-1, -1);
        } catch (err) {
          return fail(errorInfo(err, ctx, `ListOffsets ${t.name}-${p.partition}`));
        }
      }),
    }));

    const w = new Writer(64 + answers.length * 64);
    if (v >= 2) w.int32(0); // throttle_time_ms
    w.array(answers, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => {
        w.int32(p.partition).int16(p.error.code).int64(p.timestamp).int64(p.offset);
      });
    });
    return w.finish();
  },
};
