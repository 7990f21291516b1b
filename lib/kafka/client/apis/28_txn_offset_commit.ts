/**
 * TxnOffsetCommit (key 28) v0–3: a transaction's consumed offsets, sent to the group
 * coordinator. v3 (KIP-447, flexible) also carries the consumer's group metadata, so the
 * coordinator refuses offsets from a member of a stale generation (a zombie after a
 * rebalance); v2 adds the committed leader epoch; v0–1 carry neither.
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the versions this client encodes. */
export const TXN_OFFSET_COMMIT = { key: 28, minVersion: 0, maxVersion: 3 } as const;

/** The consumer's group membership, checked by the coordinator from v3 on. */
export interface GroupMetadata {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** One partition's offset to commit. */
export interface TxnOffset {
  topic: string;
  partition: number;
  offset: number;
  /** The leader epoch of the last consumed record, or -1 (v2+). */
  leaderEpoch?: number;
  metadata?: string | null;
}

/** Request body for `version` (0–3); set `w.flexible` for v3 before calling. */
export function encodeTxnOffsetCommitRequest(
  w: Writer,
  version: number,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  group: GroupMetadata,
  offsets: readonly TxnOffset[],
): void {
  w.fString(transactionalId).fString(group.groupId).int64(producerId).int16(producerEpoch);
  if (version >= 3) {
    w.int32(group.generationId).fString(group.memberId).fNullableString(group.groupInstanceId);
  }
  const byTopic = new Map<string, TxnOffset[]>();
  for (const o of offsets) {
    const list = byTopic.get(o.topic);
    if (list) list.push(o);
    else byTopic.set(o.topic, [o]);
  }
  w.fArray([...byTopic], (w, [topic, parts]) => {
    w.fString(topic);
    w.fArray(parts, (w, o) => {
      w.int32(o.partition).int64(o.offset);
      if (version >= 2) w.int32(o.leaderEpoch ?? -1);
      w.fNullableString(o.metadata ?? null);
      w.fTags();
    });
    w.fTags();
  });
  w.fTags();
}

/** Response body (set `r.flexible` for v3): `[topic, partition, errorCode]` per partition. */
export function decodeTxnOffsetCommitResponse(r: Reader): [string, number, number][] {
  r.int32(); // throttle_time_ms
  const out: [string, number, number][] = [];
  r.fArray((r) => {
    const topic = r.fString();
    r.fArray((r) => {
      out.push([topic, r.int32(), r.int16()]);
      r.fTags();
    });
    r.fTags();
  });
  r.fTags();
  return out;
}
