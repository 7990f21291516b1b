/**
 * Reads any partitions of one topic from chosen offsets, without a consumer group: what a
 * push endpoint needs (every client has its own position, and nothing is committed). Plain
 * Kafka protocol (Metadata v8, ListOffsets v1, Fetch v4 read_committed) over the toolkit
 * client's connections, so it works against any broker reachable without TLS/SASL.
 *
 * @module
 */
import { KafkaConnection } from "../kafka/client/connection.ts";
import {
  decodeMetadataResponse,
  encodeMetadataRequest,
  METADATA,
} from "../kafka/client/apis/03_metadata.ts";
import type { Reader } from "../kafka/protocol/codec.ts";
import {
  Attr,
  decodeRecords,
  LOG_OVERHEAD,
  readBatchHeader,
} from "../kafka/protocol/record_batch.ts";

/** One record read from the topic. */
export interface TopicRecord {
  partition: number;
  offset: number;
  /** Record timestamp, ms since the epoch. */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: { key: string; value: Uint8Array | null }[];
}

/** Metadata of `topic` (never auto-created): brokers by id, and each partition's leader. */
async function topicMetadata(c: KafkaConnection, topic: string) {
  const r = await c.request(
    METADATA.key,
    METADATA.version,
    (w) => encodeMetadataRequest(w, [topic], false),
  );
  const res = decodeMetadataResponse(r);
  const t = res.topics.find((x) => x.name === topic);
  if (!t) return null;
  return {
    brokers: new Map(res.brokers.map((b) => [b.nodeId, b.address])),
    errorCode: t.errorCode,
    partitions: t.partitions,
  };
}

/** Kafka error codes this reader names in its messages. */
const OFFSET_OUT_OF_RANGE = 1;
const UNKNOWN_TOPIC_OR_PARTITION = 3;

/** Thrown when a requested offset is no longer (or not yet) in the log. */
export class OffsetOutOfRangeError extends Error {
  constructor(readonly topic: string, readonly partition: number, readonly offset: number) {
    super(
      `offset ${offset} of ${topic}[${partition}] is outside the log (deleted by retention, ` +
        `or beyond its end)`,
    );
    this.name = "OffsetOutOfRangeError";
  }
}

/** Thrown when the topic does not exist. */
export class UnknownTopicError extends Error {
  constructor(readonly topic: string) {
    super(`topic ${topic} does not exist`);
    this.name = "UnknownTopicError";
  }
}

/** What {@link TopicReader.fetch} returns: records, plus how far each partition was read. */
export interface FetchResult {
  records: TopicRecord[];
  /** Next offset to read for every partition fetched (moves past control/aborted records too). */
  next: Map<number, number>;
}

/**
 * A reader of one topic over one connection to its leader. Not safe for concurrent calls:
 * one request at a time, as the connection requires.
 */
export class TopicReader {
  private constructor(
    readonly topic: string,
    /** Partition ids, ascending. */
    readonly partitions: number[],
    private readonly conn: KafkaConnection,
  ) {}

  /**
   * Connects to the leader of `topic` through `bootstrap` ("host:port"). Throws
   * {@link UnknownTopicError} when the topic does not exist (it is never auto-created here).
   */
  static async open(
    bootstrap: string[],
    topic: string,
    clientId = "sa-serve",
  ): Promise<TopicReader> {
    let lastError: unknown = new Error("no bootstrap address");
    for (const address of bootstrap) {
      let c: KafkaConnection | undefined;
      try {
        c = await KafkaConnection.open(address, { clientId });
        const meta = await topicMetadata(c, topic);
        if (meta?.errorCode === UNKNOWN_TOPIC_OR_PARTITION) throw new UnknownTopicError(topic);
        if (meta && meta.errorCode !== 0) {
          throw new Error(`metadata for ${topic}: error code ${meta.errorCode}`);
        }
        const leaders = new Map(meta?.partitions.map((p) => [p.partition, p.leader]) ?? []);
        if (!meta || leaders.size === 0) throw new UnknownTopicError(topic);
        const leaderIds = new Set(leaders.values());
        if (leaderIds.size !== 1 || [...leaderIds][0] < 0) {
          throw new Error(
            `${topic}: partitions led by several brokers (or none); this reader needs one leader`,
          );
        }
        const leader = meta.brokers.get([...leaderIds][0]);
        if (!leader) throw new Error(`metadata: leader of ${topic} is unknown`);
        const partitions = [...leaders.keys()].sort((a, b) => a - b);
        if (leader === address) {
          const reader = new TopicReader(topic, partitions, c);
          c = undefined; // kept
          return reader;
        }
        return new TopicReader(
          topic,
          partitions,
          await KafkaConnection.open(leader, { clientId }),
        );
      } catch (e) {
        if (e instanceof UnknownTopicError) throw e;
        lastError = e;
      } finally {
        c?.close();
      }
    }
    throw lastError;
  }

  /** The earliest retained, or the next to be written (latest), offset of every partition. */
  async offsets(which: "earliest" | "latest"): Promise<Map<number, number>> {
    const r = await this.conn.request(2, 1, (w) => {
      w.int32(-1);
      w.array([this.topic], (w, t) => {
        w.string(t);
        w.array(this.partitions, (w, p) => w.int32(p).int64(which === "earliest" ? -2 : -1));
      });
    });
    const out = new Map<number, number>();
    for (const t of r.array((r) => r)) {
      t.string();
      t.array((r) => {
        const p = r.int32();
        const err = r.int16();
        r.int64(); // timestamp
        const offset = r.int64();
        if (err !== 0) throw new Error(`list offsets ${this.topic}[${p}]: error code ${err}`);
        out.set(p, Number(offset));
      });
    }
    return out;
  }

  /**
   * Committed records from `positions` (partition → next offset), waiting up to `maxWaitMs`
   * for any. At most about `maxBytes` of record batches are read in one call.
   */
  async fetch(
    positions: Map<number, number>,
    maxWaitMs: number,
    maxBytes: number,
  ): Promise<FetchResult> {
    const parts = [...positions];
    const perPartition = Math.max(1024, Math.floor(maxBytes / Math.max(1, parts.length)));
    const r: Reader = await this.conn.request(1, 4, (w) => {
      w.int32(-1).int32(maxWaitMs).int32(1).int32(maxBytes).int8(1);
      w.array([this.topic], (w, t) => {
        w.string(t);
        w.array(parts, (w, [p, at]) => w.int32(p).int64(at).int32(perPartition));
      });
    }, { timeoutMs: maxWaitMs + 30_000 });
    r.int32(); // throttle
    const records: TopicRecord[] = [];
    const next = new Map(positions);
    for (const t of r.array((r) => r)) {
      t.string();
      t.array((r) => {
        const partition = r.int32();
        const err = r.int16();
        r.int64(); // high watermark
        r.int64(); // last stable offset
        const aborted = r.nullableArray((r) => ({
          producerId: Number(r.int64()),
          firstOffset: Number(r.int64()),
        })) ?? [];
        const buf = r.nullableBytes();
        const from = positions.get(partition)!;
        if (err === OFFSET_OUT_OF_RANGE) {
          throw new OffsetOutOfRangeError(this.topic, partition, from);
        }
        if (err !== 0) throw new Error(`fetch ${this.topic}[${partition}]: error code ${err}`);
        if (buf) next.set(partition, decodeInto(buf, partition, from, aborted, records));
      });
    }
    return { records, next };
  }

  /** Closes the connection. */
  close(): void {
    this.conn.close();
  }
}

/**
 * Decodes whole batches of `buf` into `out`, skipping records before `from`, control batches
 * and batches of aborted transactions; returns the next offset to fetch.
 */
function decodeInto(
  buf: Uint8Array,
  partition: number,
  from: number,
  aborted: { producerId: number; firstOffset: number }[],
  out: TopicRecord[],
): number {
  let next = from;
  let at = 0;
  // Producers whose aborted transaction is open at this point of the log.
  const abortedOpen = new Set<number>();
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  while (at + LOG_OVERHEAD <= buf.length) {
    const len = new DataView(buf.buffer, buf.byteOffset + at + 8, 4).getInt32(0);
    const end = at + LOG_OVERHEAD + len;
    if (end > buf.length) break; // partial batch at the end of the response
    const batch = buf.subarray(at, end);
    at = end;
    const h = readBatchHeader(batch);
    const last = h.baseOffset + h.lastOffsetDelta;
    while (pending.length && pending[0].firstOffset <= last) {
      abortedOpen.add(pending.shift()!.producerId);
    }
    if (last < next) continue;
    next = last + 1;
    if ((h.attributes & Attr.control) !== 0) {
      // The marker ends that producer's transaction.
      abortedOpen.delete(h.producerId);
      continue;
    }
    if ((h.attributes & Attr.transactional) !== 0 && abortedOpen.has(h.producerId)) continue;
    for (const rec of decodeRecords(batch, h)) {
      if (rec.offset < from) continue;
      out.push({
        partition,
        offset: rec.offset,
        timestamp: rec.timestamp,
        key: rec.key,
        value: rec.value,
        headers: rec.headers,
      });
    }
  }
  return next;
}
