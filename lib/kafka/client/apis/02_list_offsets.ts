/**
 * ListOffsets (key 2) v2: per partition, the offset of the first record at or after a
 * timestamp, or the earliest (-2) / latest (-1) offset; with read_committed, "latest" is the
 * last stable offset.
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const LIST_OFFSETS = { key: 2, version: 2 } as const;

/** The special timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

/** One partition's answer. */
export interface ListOffsetsPartition {
  partition: number;
  errorCode: number;
  timestamp: number;
  offset: number;
}

/** Request body: `topics` maps a topic to `[partition, timestamp]` pairs. */
export function encodeListOffsetsRequest(
  w: Writer,
  readCommitted: boolean,
  topics: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>,
): void {
  w.int32(-1).int8(readCommitted ? 1 : 0);
  w.int32(topics.size);
  for (const [topic, parts] of topics) {
    w.string(topic).array(parts, (w, [p, ts]) => void w.int32(p).int64(ts));
  }
}

/** Response body: per topic, its partitions' answers. */
export function decodeListOffsetsResponse(r: Reader): Map<string, ListOffsetsPartition[]> {
  r.int32(); // throttle_time_ms
  const out = new Map<string, ListOffsetsPartition[]>();
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    out.set(
      topic,
      r.array((r): ListOffsetsPartition => ({
        partition: r.int32(),
        errorCode: r.int16(),
        timestamp: r.int64(),
        offset: r.int64(),
      })),
    );
  }
  return out;
}
