/**
 * Reads a whole partition back for behaviour tests: Fetch v4 on a {@link KafkaConnection},
 * records decoded by the protocol's reference decoder (independent of the producer's encoder).
 *
 * @module
 */
import { KafkaConnection } from "../../../lib/kafka/client/connection.ts";
import {
  Attr,
  decodeRecords,
  LOG_OVERHEAD,
  readBatchHeader,
} from "../../../lib/kafka/protocol/record_batch.ts";

/** One record read back. */
export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string | null>;
  timestamp: number;
  transactional: boolean;
}

const dec = new TextDecoder();

/**
 * Every record of `topic[partition]` up to its high watermark (read_uncommitted) or its last
 * stable offset (read_committed, aborted transactions left out).
 */
export async function readPartition(
  address: string,
  topic: string,
  partition = 0,
  readCommitted = false,
): Promise<ReadRecord[]> {
  const c = await KafkaConnection.open(address, { clientId: "test-reader" });
  const out: ReadRecord[] = [];
  try {
    let offset = 0;
    for (;;) {
      const r = await c.request(1, 4, (w) => {
        w.int32(-1).int32(0).int32(1).int32(16 << 20).int8(readCommitted ? 1 : 0);
        w.array([topic], (w, t) => {
          w.string(t);
          w.array([partition], (w, p) => w.int32(p).int64(offset).int32(16 << 20));
        });
      });
      r.int32();
      let records: Uint8Array | null = null;
      let end = 0;
      const aborted: [number, number][] = [];
      r.array((r) => {
        r.string();
        r.array((r) => {
          r.int32();
          const err = r.int16();
          if (err !== 0) throw new Error(`fetch ${topic}[${partition}]: error ${err}`);
          const hw = r.int64();
          const lso = r.int64();
          end = readCommitted ? lso : hw;
          r.nullableArray((r) => aborted.push([r.int64(), r.int64()]));
          records = r.nullableBytes();
        });
      });
      const buf = records as Uint8Array | null;
      if (offset >= end || !buf) return out;
      let at = 0;
      const abortedPids = new Set<number>();
      while (at + LOG_OVERHEAD <= buf.length) {
        const len = new DataView(buf.buffer, buf.byteOffset + at + 8, 4).getInt32(0);
        if (at + LOG_OVERHEAD + len > buf.length) break;
        const batch = buf.subarray(at, at + LOG_OVERHEAD + len);
        at += LOG_OVERHEAD + len;
        const h = readBatchHeader(batch);
        offset = h.baseOffset + h.lastOffsetDelta + 1;
        const txn = (h.attributes & Attr.transactional) !== 0;
        // Kafka's algorithm: an aborted transaction starts applying at its first offset and
        // ends at its producer's abort marker.
        aborted.sort((a, b) => a[1] - b[1]);
        while (aborted.length && aborted[0][1] <= h.baseOffset + h.lastOffsetDelta) {
          abortedPids.add(aborted.shift()![0]);
        }
        if (h.attributes & Attr.control) {
          abortedPids.delete(h.producerId);
          continue;
        }
        if (readCommitted && txn && abortedPids.has(h.producerId)) continue;
        for (const rec of decodeRecords(batch, h)) {
          if (rec.offset >= end) break;
          out.push({
            offset: rec.offset,
            key: rec.key && dec.decode(rec.key),
            value: rec.value && dec.decode(rec.value),
            headers: Object.fromEntries(
              rec.headers.map((x) => [x.key, x.value && dec.decode(x.value)]),
            ),
            timestamp: rec.timestamp,
            transactional: txn,
          });
        }
      }
      if (offset >= end) return out;
    }
  } finally {
    c.close();
  }
}
