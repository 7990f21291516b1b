/**
 * Fetch (API key 1, v11): the request and the response, decoded without touching the records.
 * Each partition's `records` stays a view into the response buffer; {@link RecordCursor}
 * (`_records.ts`) then walks it in place, skipping control batches and, for read_committed,
 * the batches of aborted transactions.
 *
 * @module
 */

import type { Reader, Writer } from "../protocol/codec.ts";
import { type AbortedTxn, RecordCursor } from "./_records.ts";

export { type AbortedTxn, RecordCursor } from "./_records.ts";

/** Fetch's API key. */
export const FETCH_KEY = 1;
/** The version sent: the newest non-flexible one (KIP-320 leader epochs, KIP-392 rack id). */
export const FETCH_VERSION = 11;

/** Isolation levels (the `isolation_level` field of Fetch and ListOffsets). */
export const Isolation = Object.freeze({ readUncommitted: 0, readCommitted: 1 });

/** One partition to fetch. */
export interface FetchPartitionRequest {
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  /** The leader epoch the client knows (-1: unknown, not checked). */
  currentLeaderEpoch?: number;
}

/** A Fetch request (no fetch session: session id 0, epoch -1, full requests every time). */
export interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  topics: { topic: string; partitions: FetchPartitionRequest[] }[];
}

/** Writes the body of a Fetch v11 request. */
export function writeFetchRequest(w: Writer, req: FetchRequest): void {
  w.int32(-1); // replica_id: a consumer
  w.int32(req.maxWaitMs).int32(req.minBytes).int32(req.maxBytes).int8(req.isolationLevel);
  w.int32(0).int32(-1); // session_id, session_epoch: no incremental fetch session (KIP-227)
  w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int32(p.currentLeaderEpoch ?? -1).int64(p.fetchOffset);
      w.int64(-1); // log_start_offset: followers only
      w.int32(p.partitionMaxBytes);
    });
  });
  w.array([], () => {}); // forgotten_topics_data
  w.string(""); // rack_id
}

/** One partition of a Fetch response; `records` is a view into the response. */
export interface FetchedPartition {
  topic: string;
  partition: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** read_committed: the aborted transactions overlapping the returned records. */
  aborted: AbortedTxn[];
  records: Uint8Array | null;
}

/** A decoded Fetch v11 response (records not decoded). */
export interface FetchResponse {
  throttleMs: number;
  errorCode: number;
  partitions: FetchedPartition[];
}

const NO_ABORTED: AbortedTxn[] = [];

/** Reads a Fetch v11 response body. */
export function readFetchResponse(r: Reader): FetchResponse {
  const throttleMs = r.int32();
  const errorCode = r.int16();
  r.int32(); // session_id
  const partitions: FetchedPartition[] = [];
  const topics = r.int32();
  for (let t = 0; t < topics; t++) {
    const topic = r.string();
    const n = r.int32();
    for (let i = 0; i < n; i++) {
      const partition = r.int32();
      const errorCode = r.int16();
      const highWatermark = r.int64();
      const lastStableOffset = r.int64();
      const logStartOffset = r.int64();
      const aborted = r.nullableArray((r) => ({ producerId: r.int64(), firstOffset: r.int64() }));
      r.int32(); // preferred_read_replica
      const records = r.nullableBytes();
      partitions.push({
        topic,
        partition,
        errorCode,
        highWatermark,
        lastStableOffset,
        logStartOffset,
        aborted: aborted && aborted.length > 0 ? aborted : NO_ABORTED,
        records,
      });
    }
  }
  return { throttleMs, errorCode, partitions };
}

/** A cursor over the data records of `p` from `fetchOffset` on (see {@link RecordCursor}). */
export function partitionRecords(p: FetchedPartition, fetchOffset: number): RecordCursor {
  return new RecordCursor(p.records ?? new Uint8Array(0), fetchOffset, p.aborted);
}
