// A minimal Kafka fetch client for changelog recovery: kafkajs can only consume through a
// consumer group (no manual partition assignment), which would make every recovery join a
// throw-away group. This reads one partition range with Metadata v1 + Fetch v4, over TLS and
// SASL when the app's connection is secured (lib/kafka/client/connection.ts).

import type { Reader, Writer } from "../../kafka/protocol/codec.ts";
import {
  Attr,
  type BatchHeader,
  decodeRecords,
  LOG_OVERHEAD,
  readBatchHeader,
} from "../../kafka/protocol/record_batch.ts";
import type { ChangelogRecord } from "./changelog.ts";
import { type ConnectSecurity, KafkaConnection } from "../../kafka/client/connection.ts";

const dec = new TextDecoder();

/** One Kafka connection issuing requests (also used by lib/serve): the client's, pipelined. */
export class Connection {
  constructor(readonly conn: KafkaConnection, readonly address: string) {}

  static async open(
    address: string,
    security?: ConnectSecurity,
    clientId = "sa-state-recovery",
  ): Promise<Connection> {
    return new Connection(await KafkaConnection.open(address, { clientId, security }), address);
  }

  /** Sends one request and returns a reader positioned after the response header. */
  request(apiKey: number, version: number, body: (w: Writer) => void): Promise<Reader> {
    return this.conn.request(apiKey, version, body);
  }

  close(): void {
    this.conn.close();
  }
}

/** One topic's metadata: the brokers (id → "host:port") and each partition's leader. */
export interface TopicMetadata {
  brokers: Map<number, string>;
  errorCode: number;
  partitions: { partition: number; errorCode: number; leader: number }[];
}

/**
 * Metadata v4 for `topic`, which never auto-creates it (a typo must not create a topic);
 * null when the response does not list it.
 */
export async function topicMetadata(c: Connection, topic: string): Promise<TopicMetadata | null> {
  const r = await c.request(3, 4, (w) => {
    w.array([topic], (w, t) => w.string(t));
    w.bool(false); // allow_auto_topic_creation
  });
  r.int32(); // throttle
  const brokers = new Map<number, string>();
  for (
    const b of r.array((r) => [r.int32(), r.string(), r.int32(), r.nullableString()] as const)
  ) brokers.set(b[0], `${b[1]}:${b[2]}`);
  r.nullableString(); // cluster id
  r.int32(); // controller
  let found: TopicMetadata | null = null;
  for (const t of r.array((r) => r)) {
    const errorCode = t.int16();
    const name = t.string();
    t.bool(); // internal
    const partitions = t.array((r) => {
      const errorCode = r.int16();
      const partition = r.int32();
      const leader = r.int32();
      r.array((r) => r.int32()); // replicas
      r.array((r) => r.int32()); // isr
      return { partition, errorCode, leader };
    });
    if (name === topic) found = { brokers, errorCode, partitions };
  }
  return found;
}

/** Finds the leader of `topic[partition]` through any of `bootstrap`. */
async function leaderOf(
  bootstrap: string[],
  topic: string,
  partition: number,
  security?: ConnectSecurity,
): Promise<string> {
  let lastError: unknown;
  for (const address of bootstrap) {
    let c: Connection | undefined;
    try {
      c = await Connection.open(address, security);
      const meta = await topicMetadata(c, topic);
      if (meta) {
        if (meta.errorCode !== 0) {
          throw new Error(`metadata for ${topic}: error code ${meta.errorCode}`);
        }
        const part = meta.partitions.find((x) => x.partition === partition);
        if (!part) throw new Error(`metadata: ${topic} has no partition ${partition}`);
        if (part.errorCode !== 0 || part.leader < 0) {
          throw new Error(
            `metadata for ${topic}[${partition}]: error code ${part.errorCode}, no leader`,
          );
        }
        const leader = meta.brokers.get(part.leader);
        if (!leader) throw new Error(`metadata: leader ${part.leader} of ${topic} is unknown`);
        return leader;
      }
      throw new Error(`metadata: topic ${topic} missing from the response`);
    } catch (e) {
      lastError = e;
    } finally {
      c?.close();
    }
  }
  throw lastError;
}

/**
 * Reads `topic[partition]` over `[from, to)` in batches, skipping control records. Keys and
 * values are views into the fetch response, and records with identical header bytes share
 * one headers object: treat them as read-only.
 */
export async function* fetchRange(
  bootstrap: string[],
  topic: string,
  partition: number,
  from: number,
  to: number,
  maxBytes = 8 * 1024 * 1024,
  security?: ConnectSecurity,
): AsyncGenerator<ChangelogRecord[]> {
  const leader = await leaderOf(bootstrap, topic, partition, security);
  const c = await Connection.open(leader, security);
  const fetchAt = (at: number) =>
    c.request(1, 4, (w) => {
      w.int32(-1).int32(100).int32(1).int32(maxBytes).int8(0);
      w.array([topic], (w, t) => {
        w.string(t);
        w.array([partition], (w, p) => w.int32(p).int64(at).int32(maxBytes));
      });
    });
  let offset = from;
  const headerCache: HeaderCache = { buf: new Uint8Array(0), start: 0, end: -1, headers: {} };
  // The next fetch is sent before the current response is decoded, so the broker reads
  // while this side decodes and the caller applies.
  let pending: Promise<Reader> | null = offset < to ? fetchAt(offset) : null;
  try {
    let empty = 0;
    while (pending) {
      const r: Reader = await pending;
      pending = null;
      r.int32(); // throttle
      let records: Uint8Array | null = null;
      for (const t of r.array((r) => r)) {
        t.string();
        t.array((r) => {
          r.int32();
          const err = r.int16();
          r.int64();
          r.int64();
          r.nullableArray((r) => [r.int64(), r.int64()]);
          const recs = r.nullableBytes();
          if (err !== 0) {
            throw new Error(`fetch ${topic}[${partition}] at offset ${offset}: error code ${err}`);
          }
          records = recs;
        });
      }
      const buf = records as Uint8Array | null;
      if (!buf || buf.length < LOG_OVERHEAD) {
        // The high watermark said there is more; give the leader a few seconds.
        if (++empty > 50) {
          throw new Error(`fetch ${topic}[${partition}]: no data at offset ${offset} (< ${to})`);
        }
        pending = fetchAt(offset);
        continue;
      }
      empty = 0;
      // First pass: complete batches at or after `offset`, and where the next fetch starts.
      const batches: { batch: Uint8Array; h: BatchHeader }[] = [];
      const start = offset;
      let at = 0;
      while (at + LOG_OVERHEAD <= buf.length) {
        const len = new DataView(buf.buffer, buf.byteOffset + at + 8, 4).getInt32(0);
        const end = at + LOG_OVERHEAD + len;
        if (end > buf.length) break; // partial batch at the end of the response
        const batch = buf.subarray(at, end);
        const h = readBatchHeader(batch);
        const last = h.baseOffset + h.lastOffsetDelta;
        if (last >= offset) {
          batches.push({ batch, h });
          offset = last + 1;
        }
        at = end;
      }
      if (!batches.length && at === 0) {
        throw new Error(`fetch ${topic}[${partition}]: a batch larger than ${maxBytes} bytes`);
      }
      if (offset < to) pending = fetchAt(offset);
      const out: ChangelogRecord[] = [];
      for (const { batch, h } of batches) {
        if ((h.attributes & Attr.control) !== 0) continue;
        if ((h.attributes & Attr.compressionMask) === 0) {
          decodePlain(batch, h.baseOffset, h.recordCount, start, to, out, headerCache);
          continue;
        }
        for (const rec of decodeRecords(batch, h)) {
          if (rec.offset < start || rec.offset >= to || rec.key === null) continue;
          const headers: Record<string, string> = {};
          for (const hd of rec.headers) headers[hd.key] = hd.value ? dec.decode(hd.value) : "";
          out.push({ offset: rec.offset, key: rec.key, value: rec.value, headers });
        }
      }
      if (out.length) yield out;
    }
  } finally {
    (pending as Promise<Reader> | null)?.catch(() => {});
    c.close();
  }
}

/**
 * The header section of the last decoded record, and its decoded object: consecutive records
 * of one checkpoint carry byte-identical headers, so they share one (read-only) object.
 */
interface HeaderCache {
  buf: Uint8Array;
  start: number;
  end: number;
  headers: Record<string, string>;
}

/**
 * Decodes the records of an uncompressed batch (the hot path of recovery): like
 * `decodeRecords`, with keys and values as views into the fetch response (no copies) and
 * headers decoded once per run of identical header bytes.
 */
function decodePlain(
  batch: Uint8Array,
  baseOffset: number,
  count: number,
  from: number,
  to: number,
  out: ChangelogRecord[],
  cache: HeaderCache,
): void {
  let pos = 61; // records start after the fixed batch header
  const varint = (): number => {
    const b0 = batch[pos];
    if (b0 < 0x80) {
      // One byte: the common case (lengths, deltas of small batches).
      pos++;
      return (b0 & 1) === 0 ? b0 >>> 1 : -((b0 + 1) >>> 1);
    }
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= batch.length) throw new Error("truncated record batch");
      const b = batch[pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 63) throw new Error("varint too long");
    }
    // zigzag
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  };
  for (let i = 0; i < count; i++) {
    if (pos >= batch.length) throw new Error("truncated record batch");
    const len = varint();
    const end = pos + len;
    if (len < 0 || end > batch.length) throw new Error(`record ${i}: bad length ${len}`);
    pos++; // attributes
    varint(); // timestamp delta
    const offset = baseOffset + varint();
    const kl = varint();
    const key = kl < 0 ? null : batch.subarray(pos, pos + kl);
    if (kl > 0) pos += kl;
    const vl = varint();
    const value = vl < 0 ? null : batch.subarray(pos, pos + vl);
    if (vl > 0) pos += vl;
    if (pos > end) throw new Error(`record ${i}: length ${len} mismatches its fields`);
    const hStart = pos;
    let headers: Record<string, string>;
    if (sameBytes(batch, hStart, end, cache)) {
      headers = cache.headers;
      pos = end;
    } else {
      const hc = varint();
      headers = {};
      for (let j = 0; j < hc; j++) {
        const hkl = varint();
        const hk = text(batch, pos, hkl);
        pos += hkl;
        const hvl = varint();
        headers[hk] = hvl < 0 ? "" : text(batch, pos, hvl);
        if (hvl > 0) pos += hvl;
      }
      if (pos !== end) throw new Error(`record ${i}: length ${len} mismatches its fields`);
      cache.buf = batch;
      cache.start = hStart;
      cache.end = end;
      cache.headers = headers;
    }
    if (offset < from || offset >= to || key === null) continue;
    out.push({ offset, key, value, headers });
  }
}

/** Whether `buf[start, end)` equals the cached header section. */
function sameBytes(buf: Uint8Array, start: number, end: number, cache: HeaderCache): boolean {
  const n = end - start;
  if (n !== cache.end - cache.start) return false;
  const other = cache.buf;
  const at = cache.start - start;
  for (let i = start; i < end; i++) if (buf[i] !== other[i + at]) return false;
  return true;
}

/** UTF-8 text; short ASCII (header names, offsets JSON) without a TextDecoder call. */
function text(buf: Uint8Array, at: number, len: number): string {
  if (len <= 128) {
    let out = "";
    for (let i = at; i < at + len; i++) {
      const b = buf[i];
      if (b >= 0x80) return dec.decode(buf.subarray(at, at + len));
      out += String.fromCharCode(b);
    }
    return out;
  }
  return dec.decode(buf.subarray(at, at + len));
}
