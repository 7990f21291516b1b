/**
 * Fetch (key 1), v4–11, with long polling.
 *
 * Serves whole stored batches as they are (no re-encoding). The first non-empty partition
 * always gets at least one batch even if it exceeds the limits (KIP-74); after that a
 * partition's data is included only if it fits both `partition_max_bytes` and what is left of
 * `max_bytes`. When fewer than `min_bytes` are available the request waits, up to
 * `max_wait_ms`, for an append to any requested partition. Fetch sessions (KIP-227) are not
 * kept: every fetch is a full fetch and the response's session id is 0.
 *
 * Memory: `max_bytes` is capped by the broker's `fetchMaxBytes` (Kafka's `fetch.max.bytes`).
 * The response is not built whole: the handler encodes its small parts and plans which
 * batches it serves, and the connection reads those from the segment files as the socket
 * drains (`response_stream.ts`), so a client that asks for 2 GiB and never reads pins one
 * chunk, not the response.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode, type ErrorInfo, KafkaError } from "../../kafka/protocol/errors.ts";
import type { PartitionLog, ReadPlan } from "../log/partition_log.ts";
import { BatchStream } from "../log/batch_stream.ts";
import type { StreamedBody } from "../response_stream.ts";
import type { ApiHandler, RequestContext } from "./_types.ts";

interface FetchPartition {
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

interface FetchTopic {
  topic: string;
  partitions: FetchPartition[];
}

interface PartitionData {
  partition: number;
  error: ErrorInfo;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  aborted: { producerId: number; firstOffset: number }[] | null;
  /** Bytes of records to serve. */
  size: number;
  /** Pins them for the response (called synchronously, before the log can change). */
  stream: ReadPlan["stream"];
}

const NO_STREAM = (): BatchStream => BatchStream.EMPTY;

/** The Fetch handler. */
export const handler: ApiHandler = {
  key: 1,
  name: "Fetch",
  minVersion: 4,
  maxVersion: 11,
  async handle(body, ctx) {
    const v = ctx.header.apiVersion;
    body.int32(); // replica_id: consumers send -1; there are no followers to serve
    const maxWaitMs = body.int32();
    const minBytes = body.int32();
    const maxBytes = body.int32();
    const isolation = body.int8() === 1 ? 1 : 0;
    let sessionId = 0;
    if (v >= 7) {
      sessionId = body.int32();
      body.int32(); // session_epoch
    }
    const topics: FetchTopic[] = body.array((r) => ({
      topic: r.string(),
      partitions: r.array((r) => {
        const partition = r.int32();
        if (v >= 9) r.int32(); // current_leader_epoch: the leader epoch is constant
        const fetchOffset = r.int64();
        if (v >= 5) r.int64(); // log_start_offset: only followers send it
        return { partition, fetchOffset, partitionMaxBytes: r.int32() };
      }),
    }));
    if (v >= 7) body.array((r) => ({ topic: r.string(), partitions: r.array((r) => r.int32()) }));
    if (v >= 11) body.string(); // rack_id

    if (v >= 7 && sessionId !== 0) {
      // We never hand out session ids, so any non-zero id is one we do not know.
      return encode(v, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, []);
    }

    const logs = ctx.broker.logs;
    const cap = Math.min(maxBytes, ctx.broker.limits.fetchMaxBytes);
    const deadline = Date.now() + Math.max(0, maxWaitMs);
    while (true) {
      const { result, bytes, anyError, waitOn } = collect(ctx, topics, cap, isolation);
      const remaining = deadline - Date.now();
      if (
        bytes >= minBytes || anyError || remaining <= 0 || waitOn.length === 0 ||
        ctx.broker.closing.aborted
      ) {
        return encode(v, ErrorCode.NONE, result);
      }
      await logs.waitForAppend(waitOn, remaining, ctx.broker.closing);
    }
  },
};

function collect(
  ctx: RequestContext,
  topics: FetchTopic[],
  maxBytes: number,
  isolation: 0 | 1,
): {
  result: { topic: string; partitions: PartitionData[] }[];
  bytes: number;
  anyError: boolean;
  waitOn: PartitionLog[];
} {
  const logs = ctx.broker.logs;
  let bytes = 0;
  let anyError = false;
  const waitOn: PartitionLog[] = [];
  const result = topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p): PartitionData => {
      const log = logs.partition(t.topic, p.partition);
      if (!log) {
        anyError = true;
        return failed(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      }
      waitOn.push(log);
      const budget = Math.min(p.partitionMaxBytes, maxBytes - bytes);
      if (bytes > 0 && budget <= 0) return empty(p.partition, log, isolation);
      try {
        const res = log.locate(p.fetchOffset, Math.max(budget, 1), isolation);
        // Past the first non-empty partition a batch larger than what is left is dropped.
        if (bytes > 0 && res.size > budget) return empty(p.partition, log, isolation);
        bytes += res.size;
        return {
          partition: p.partition,
          error: ErrorCode.NONE,
          highWatermark: res.highWatermark,
          lastStableOffset: res.lastStableOffset,
          logStartOffset: res.logStartOffset,
          aborted: isolation === 1 ? res.abortedTransactions : null,
          size: res.size,
          stream: res.stream,
        };
      } catch (err) {
        anyError = true;
        if (err instanceof KafkaError) {
          return {
            ...failed(p.partition, err.info),
            highWatermark: log.highWatermark,
            lastStableOffset: log.lastStableOffset,
            logStartOffset: log.logStartOffset,
          };
        }
        ctx.broker.logger.error(
          `fetch by ${ctx.clientAddress} from ${t.topic}-${p.partition} at offset ` +
            `${p.fetchOffset} failed: ${err instanceof Error ? err.message : err}`,
        );
        return failed(p.partition, ErrorCode.UNKNOWN_SERVER_ERROR);
      }
    }),
  }));
  return { result, bytes, anyError, waitOn };
}

function failed(partition: number, error: ErrorInfo): PartitionData {
  return {
    partition,
    error,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    aborted: null,
    size: 0,
    stream: NO_STREAM,
  };
}

function empty(partition: number, log: PartitionLog, isolation: 0 | 1): PartitionData {
  return {
    partition,
    error: ErrorCode.NONE,
    highWatermark: log.highWatermark,
    lastStableOffset: log.lastStableOffset,
    logStartOffset: log.logStartOffset,
    aborted: isolation === 1 ? [] : null,
    size: 0,
    stream: NO_STREAM,
  };
}

/**
 * Encodes the response as small encoded parts around the partitions' record streams (see
 * `response_stream.ts`); a response without records is one buffer.
 */
function encode(
  v: number,
  error: ErrorInfo,
  topics: { topic: string; partitions: PartitionData[] }[],
): Uint8Array | StreamedBody {
  const parts: (Uint8Array | BatchStream)[] = [];
  let size = 0;
  let w = new Writer(256);
  w.int32(0); // throttle_time_ms
  if (v >= 7) w.int16(error.code).int32(0); // session_id: no fetch sessions
  w.int32(topics.length);
  for (const t of topics) {
    w.string(t.topic).int32(t.partitions.length);
    for (const p of t.partitions) {
      w.int32(p.partition).int16(p.error.code).int64(p.highWatermark).int64(p.lastStableOffset);
      if (v >= 5) w.int64(p.logStartOffset);
      if (p.aborted === null) w.int32(-1);
      else {
        w.int32(p.aborted.length);
        for (const a of p.aborted) w.int64(a.producerId).int64(a.firstOffset);
      }
      if (v >= 11) w.int32(-1); // preferred_read_replica
      // Empty bytes, never null: librdkafka treats a null record set as malformed.
      w.int32(p.size);
      if (p.size === 0) continue;
      const head = w.finish();
      parts.push(head, p.stream());
      size += head.length + p.size;
      w = new Writer(256);
    }
  }
  const tail = w.finish();
  if (parts.length === 0) return tail;
  parts.push(tail);
  return { size: size + tail.length, parts };
}
