/**
 * Produce (key 0) v7: one record batch per partition (required from v3), acks, timeout, and
 * the transactional id of a transactional producer. v7 is the highest the embedded broker
 * serves; Kafka serves it from 2.1 on (and Redpanda).
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const PRODUCE = { key: 0, version: 7 } as const;

/** One partition's batch in a request. */
export interface ProducePartition {
  partition: number;
  batch: Uint8Array;
}

/** One topic's partitions in a request. */
export interface ProduceTopic {
  topic: string;
  partitions: ProducePartition[];
}

/** One partition's answer. */
export interface ProducePartitionResponse {
  partition: number;
  errorCode: number;
  baseOffset: number;
  logAppendTime: number;
  logStartOffset: number;
}

/** Request body. */
export function encodeProduceRequest(
  w: Writer,
  transactionalId: string | null,
  acks: number,
  timeoutMs: number,
  topics: readonly ProduceTopic[],
): void {
  w.nullableString(transactionalId).int16(acks).int32(timeoutMs);
  w.int32(topics.length);
  for (const t of topics) {
    w.string(t.topic).int32(t.partitions.length);
    for (const p of t.partitions) w.int32(p.partition).int32(p.batch.length).raw(p.batch);
  }
}

/** Response body: per topic name, its partitions' answers. */
export function decodeProduceResponse(r: Reader): Map<string, ProducePartitionResponse[]> {
  const out = new Map<string, ProducePartitionResponse[]>();
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    const topic = r.string();
    out.set(
      topic,
      r.array((r): ProducePartitionResponse => ({
        partition: r.int32(),
        errorCode: r.int16(),
        baseOffset: r.int64(),
        logAppendTime: r.int64(),
        logStartOffset: r.int64(),
      })),
    );
  }
  r.int32(); // throttle_time_ms
  return out;
}
