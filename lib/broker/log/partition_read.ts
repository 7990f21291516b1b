/**
 * Reads of a partition: planning which whole stored batches a fetch serves, and the offset
 * for a timestamp (ListOffsets).
 *
 * @module
 */
import { decodeRecords, readBatchHeader } from "../../kafka/protocol/record_batch.ts";
import { BatchStream } from "./batch_stream.ts";
import { Flag, type Segment } from "./segment.ts";

/** Result of `PartitionLog.read`. */
export interface ReadResult {
  /** Whole stored batches, back to back (empty when nothing is readable yet). */
  records: Uint8Array;
  /** Next offset to be written. */
  highWatermark: number;
  /** First offset of the earliest open transaction, else the high watermark. */
  lastStableOffset: number;
  /** First retained offset. */
  logStartOffset: number;
  /** read_committed only: aborted transactions overlapping the returned range, by firstOffset. */
  abortedTransactions: { producerId: number; firstOffset: number }[];
}

/**
 * Result of `PartitionLog.locate`: like {@link ReadResult}, with the batches not read yet
 * (`size` bytes; `copyTo` reads them into a caller's buffer, before the log changes again).
 */
export interface ReadPlan extends Omit<ReadResult, "records"> {
  /** Bytes of whole batches to serve (0 when nothing is readable yet). */
  size: number;
  /** Reads the planned bytes into `out` (exactly `size` bytes long). */
  copyTo(out: Uint8Array): void;
  /**
   * The planned bytes as a stream read later, in pieces (a Fetch response written as the
   * socket drains); call it before the log changes, it pins the segment file.
   */
  stream(): BatchStream;
}

const NOTHING = (): void => {};
const NO_STREAM = (): BatchStream => BatchStream.EMPTY;

/** The batches found by {@link planBatches}. */
export interface PlannedBatches {
  size: number;
  copyTo(out: Uint8Array): void;
  stream(): BatchStream;
  /** Offset after the last planned batch (`fetchOffset` when none). */
  end: number;
}

/**
 * Whole stored batches from the one containing `fetchOffset`: at least one batch, then as
 * many as fit in `maxBytes`, all in one segment, never reaching `limit` (HWM or LSO).
 */
export function planBatches(
  segments: readonly Segment[],
  fetchOffset: number,
  maxBytes: number,
  limit: number,
): PlannedBatches {
  const none = { size: 0, copyTo: NOTHING, stream: NO_STREAM, end: fetchOffset };
  if (fetchOffset >= limit) return none;
  // Segment holding fetchOffset: the last with base <= fetchOffset, then forward past gaps.
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (segments[mid].base <= fetchOffset) lo = mid;
    else hi = mid - 1;
  }
  for (let si = lo; si < segments.length; si++) {
    const s = segments[si];
    const i = s.find(fetchOffset);
    if (i >= s.count) continue;
    if (s.baseAt(i) >= limit) return none;
    let j = i;
    let total = 0;
    while (j < s.count && s.baseAt(j) < limit) {
      const sz = s.sizeAt(j);
      if (total > 0 && total + sz > maxBytes) break;
      total += sz;
      j++;
    }
    const pos = s.posAt(i);
    return {
      size: total,
      copyTo: (out) => s.readInto(pos, out),
      stream: () => new BatchStream(s, i, j, total),
      end: s.lastAt(j - 1) + 1,
    };
  }
  return none;
}

/** Earliest offset (>= `start`) whose record timestamp is >= ts, or null. */
export function offsetForTimestamp(
  segments: readonly Segment[],
  start: number,
  ts: number,
): { offset: number; timestamp: number } | null {
  for (const s of segments) {
    if (s.maxTimestamp < ts || s.nextOffset <= start) continue;
    for (let i = s.find(start); i < s.count; i++) {
      if (s.tsAt(i) < ts || (s.flagsAt(i) & Flag.control)) continue;
      const bytes = s.read(s.posAt(i), s.sizeAt(i));
      const h = readBatchHeader(bytes);
      try {
        for (const r of decodeRecords(bytes, h)) {
          if (r.offset >= start && r.timestamp >= ts) {
            return { offset: r.offset, timestamp: r.timestamp };
          }
        }
      } catch {
        // Undecodable codec: answer with the batch, as precise as the index allows.
        return { offset: Math.max(s.baseAt(i), start), timestamp: s.tsAt(i) };
      }
    }
  }
  return null;
}
