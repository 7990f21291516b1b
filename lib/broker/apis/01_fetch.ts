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
 * Memory: `max_bytes` is capped by the broker's `fetchMaxBytes`, and every response's record
 * bytes are taken from the shared `fetchMaxBytesTotal` budget until the connection has written
 * them, so clients that ask for 2 GiB and never read cannot pin more than that budget. A
 * Fetch that finds the budget used up waits, up to its `max_wait_ms`, then answers empty.
 *
 * @module
 */
import { allocateResponseBody } from "../../kafka/protocol/header.ts";
import type { BufferPool } from "../../kafka/protocol/buffer_pool.ts";
import { ErrorCode, type ErrorInfo, KafkaError } from "../../kafka/protocol/errors.ts";
import type { PartitionLog } from "../log/partition_log.ts";
import type { BrokerStats } from "../stats.ts";
import type { ApiHandler, RequestContext } from "./_types.ts";
import { chargeResponse } from "../limits.ts";

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
  /** Reads them into the response (synchronously, before the log can change). */
  copyTo: (out: Uint8Array) => void;
}

const NOTHING = (): void => {};

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
      return encode(
        v,
        ErrorCode.FETCH_SESSION_ID_NOT_FOUND,
        [],
        ctx.broker.buffers,
        ctx.broker.stats,
      );
    }

    const logs = ctx.broker.logs;
    const budget = ctx.broker.fetchBudget;
    const cap = Math.min(maxBytes, ctx.broker.limits.fetchMaxBytes);
    const deadline = Date.now() + Math.max(0, maxWaitMs);
    while (true) {
      const room = Math.min(cap, budget.available);
      const { result, bytes, anyError, waitOn } = collect(ctx, topics, room, isolation);
      const remaining = deadline - Date.now();
      if (
        bytes >= minBytes || anyError || remaining <= 0 || waitOn.length === 0 ||
        ctx.broker.closing.aborted
      ) {
        const out = encode(v, ErrorCode.NONE, result, ctx.broker.buffers, ctx.broker.stats);
        if (bytes > 0) {
          // May pass the budget by one batch (the first one always goes, KIP-74).
          budget.force(bytes);
          chargeResponse(out, budget, bytes);
        }
        return out;
      }
      if (room <= 0) await budget.whenAvailable(remaining, ctx.broker.closing);
      else await logs.waitForAppend(waitOn, remaining, ctx.broker.closing);
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
      if (maxBytes <= 0) return empty(p.partition, log, isolation); // no budget left at all
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
          copyTo: res.copyTo,
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
    copyTo: NOTHING,
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
    copyTo: NOTHING,
  };
}

const textEncoder = new TextEncoder();

/**
 * Encodes the response into one exactly-sized buffer with header room (no copy when sent);
 * record bytes are read from the segment files straight into it.
 */
function encode(
  v: number,
  error: ErrorInfo,
  topics: { topic: string; partitions: PartitionData[] }[],
  pool: BufferPool,
  stats: BrokerStats,
): Uint8Array {
  const names = topics.map((t) => textEncoder.encode(t.topic));
  const perPartition = 4 + 2 + 8 + 8 + (v >= 5 ? 8 : 0) + 4 + (v >= 11 ? 4 : 0) + 4;
  let size = 4 + (v >= 7 ? 6 : 0) + 4;
  topics.forEach((t, i) => {
    size += 2 + names[i].length + 4;
    for (const p of t.partitions) {
      size += perPartition + p.size + (p.aborted ? p.aborted.length * 16 : 0);
    }
  });
  // A pooled buffer is not zeroed: every byte below is written.
  const out = allocateResponseBody(size, pool);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setInt32(0, 0); // throttle_time_ms
  let at = 4;
  if (v >= 7) {
    view.setInt16(at, error.code);
    view.setInt32(at + 2, 0); // session_id: no fetch sessions
    at += 6;
  }
  view.setInt32(at, topics.length);
  at += 4;
  topics.forEach((t, i) => {
    view.setInt16(at, names[i].length);
    out.set(names[i], at + 2);
    at += 2 + names[i].length;
    view.setInt32(at, t.partitions.length);
    at += 4;
    for (const p of t.partitions) {
      view.setInt32(at, p.partition);
      view.setInt16(at + 4, p.error.code);
      view.setBigInt64(at + 6, BigInt(p.highWatermark));
      view.setBigInt64(at + 14, BigInt(p.lastStableOffset));
      at += 22;
      if (v >= 5) {
        view.setBigInt64(at, BigInt(p.logStartOffset));
        at += 8;
      }
      if (p.aborted === null) {
        view.setInt32(at, -1);
        at += 4;
      } else {
        view.setInt32(at, p.aborted.length);
        at += 4;
        for (const a of p.aborted) {
          view.setBigInt64(at, BigInt(a.producerId));
          view.setBigInt64(at + 8, BigInt(a.firstOffset));
          at += 16;
        }
      }
      if (v >= 11) {
        view.setInt32(at, -1); // preferred_read_replica
        at += 4;
      }
      // Empty bytes, never null: librdkafka treats a null record set as malformed.
      view.setInt32(at, p.size);
      p.copyTo(out.subarray(at + 4, at + 4 + p.size));
      stats.countServed(out.subarray(at + 4, at + 4 + p.size));
      at += 4 + p.size;
    }
  });
  if (at !== size) throw new Error(`fetch response size mismatch: wrote ${at} of ${size} bytes`);
  return out;
}
