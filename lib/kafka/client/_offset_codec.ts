/**
 * Offset codecs of the consumer: OffsetCommit v7 (generation, member and `group_instance_id`
 * checked by the coordinator), OffsetFetch v7 (flexible, KIP-482; `require_stable`, KIP-447:
 * UNSTABLE_OFFSET_COMMIT while a transaction holds pending offsets) and ListOffsets v2
 * (isolation level, for where to start without a committed offset).
 *
 * @module
 */

import type { Reader, Writer } from "../protocol/codec.ts";

/** API keys and the versions sent (OffsetFetch v7 is flexible: request header v2). */
export const OffsetApi = Object.freeze({
  listOffsets: { key: 2, version: 2 },
  offsetCommit: { key: 8, version: 7 },
  offsetFetch: { key: 9, version: 7, flexible: true },
});

/** A topic's partitions with an offset each. */
export interface TopicOffsets {
  topic: string;
  partitions: { partition: number; offset: number; leaderEpoch?: number }[];
}

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: TopicOffsets[];
}

export function writeOffsetCommit(w: Writer, req: OffsetCommitRequest): void {
  w.string(req.groupId).int32(req.generationId).string(req.memberId);
  w.nullableString(req.groupInstanceId);
  w.array(req.topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int64(p.offset).int32(p.leaderEpoch ?? -1).nullableString(null);
    });
  });
}

/** Per partition error codes of an OffsetCommit response. */
export function readOffsetCommit(
  r: Reader,
): { topic: string; partition: number; errorCode: number }[] {
  r.int32(); // throttle
  const out: { topic: string; partition: number; errorCode: number }[] = [];
  for (const t of r.array((r) => r)) {
    const topic = t.string();
    for (const [partition, errorCode] of t.array((r) => [r.int32(), r.int16()])) {
      out.push({ topic, partition, errorCode });
    }
  }
  return out;
}

/** OffsetFetch v7 body; the writer must be flexible. */
export function writeOffsetFetch(
  w: Writer,
  groupId: string,
  topics: { topic: string; partitions: number[] }[],
  requireStable: boolean,
): void {
  w.compactString(groupId);
  w.compactArray(topics, (w, t) => {
    w.compactString(t.topic);
    w.compactArray(t.partitions, (w, p) => w.int32(p));
    w.taggedFields();
  });
  w.bool(requireStable);
  w.taggedFields();
}

/** One committed offset: -1 when none; errorCode per partition (UNSTABLE_OFFSET_COMMIT...). */
export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  leaderEpoch: number;
  errorCode: number;
}

export function readOffsetFetch(r: Reader): { errorCode: number; offsets: CommittedOffset[] } {
  r.int32(); // throttle
  const offsets: CommittedOffset[] = [];
  r.compactArray((r) => {
    const topic = r.compactString();
    r.compactArray((r) => {
      const partition = r.int32();
      const offset = r.int64();
      const leaderEpoch = r.int32();
      r.compactNullableString(); // metadata
      const errorCode = r.int16();
      r.taggedFields();
      offsets.push({ topic, partition, offset, leaderEpoch, errorCode });
    });
    r.taggedFields();
  });
  const errorCode = r.int16();
  r.taggedFields();
  return { errorCode, offsets };
}

/** ListOffsets timestamps with a special meaning. */
export const OffsetSpec = Object.freeze({ latest: -1, earliest: -2 });

export function writeListOffsets(
  w: Writer,
  isolationLevel: number,
  topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[],
): void {
  w.int32(-1).int8(isolationLevel);
  w.array(topics, (w, t) => {
    w.string(t.topic);
    w.array(t.partitions, (w, p) => w.int32(p.partition).int64(p.timestamp));
  });
}

export function readListOffsets(
  r: Reader,
): { topic: string; partition: number; errorCode: number; offset: number }[] {
  r.int32(); // throttle
  const out: { topic: string; partition: number; errorCode: number; offset: number }[] = [];
  for (const t of r.array((r) => r)) {
    const topic = t.string();
    t.array((r) => {
      const partition = r.int32();
      const errorCode = r.int16();
      r.int64(); // timestamp
      out.push({ topic, partition, errorCode, offset: r.int64() });
    });
  }
  return out;
}
