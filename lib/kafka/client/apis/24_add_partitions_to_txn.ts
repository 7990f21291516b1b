/**
 * AddPartitionsToTxn (key 24) v1: registers partitions with the open transaction before the
 * producer writes to them.
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const ADD_PARTITIONS_TO_TXN = { key: 24, version: 1 } as const;

/** Request body; `topics` maps a topic to its partitions. */
export function encodeAddPartitionsToTxnRequest(
  w: Writer,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  topics: ReadonlyMap<string, readonly number[]>,
): void {
  w.string(transactionalId).int64(producerId).int16(producerEpoch);
  w.int32(topics.size);
  for (const [topic, partitions] of topics) {
    w.string(topic).array(partitions, (w, p) => void w.int32(p));
  }
}

/** Response body: `[topic, partition, errorCode]` per partition. */
export function decodeAddPartitionsToTxnResponse(r: Reader): [string, number, number][] {
  r.int32(); // throttle_time_ms
  const out: [string, number, number][] = [];
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    const m = r.int32();
    for (let j = 0; j < m; j++) out.push([topic, r.int32(), r.int16()]);
  }
  return out;
}
