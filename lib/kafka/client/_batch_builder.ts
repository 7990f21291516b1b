/**
 * Encodes records straight into one RecordBatch v2 buffer: no object per record, strings
 * UTF-8-encoded in place, the 61-byte batch header and CRC-32C filled in once when the batch
 * is closed. Layout: `lib/kafka/protocol/record_batch.ts`.
 *
 * A record's length prefix is a varint written before its body, so the body is written at
 * the offset its largest possible length needs; in the rare case the real length needs fewer
 * bytes (multi-byte UTF-8 near a varint boundary) the body is moved back by one or two bytes.
 *
 * @module
 */
import { gzipSync, zstdCompressSync } from "node:zlib";
import { crc32c } from "../protocol/crc32c.ts";
import { Attr, BATCH_HEADER_SIZE, LOG_OVERHEAD, Off } from "../protocol/record_batch.ts";

/** Record key or value as the producer accepts it. */
export type RecordBytes = Uint8Array | string | null | undefined;

/** Record headers: names to values (a null value is a header with a null value). */
export type RecordHeaders = Readonly<Record<string, Uint8Array | string | null | undefined>>;

/** Codecs the producer compresses with. */
export type CompressionName = "none" | "gzip" | "zstd";

/** Attribute code of each producer codec. */
export const COMPRESSION_CODE: Readonly<Record<CompressionName, number>> = {
  none: 0,
  gzip: 1,
  zstd: 4,
};

const enc = new TextEncoder();

/** Bytes of the unsigned varint for `v` (0 <= v < 2^35). */
function uvarintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes of the zig-zag varint for a non-negative `v`. */
function lengthSize(v: number): number {
  return uvarintSize(v * 2);
}

/** Producer fields of a batch, written when it is closed. */
export interface BatchIdentity {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  transactional: boolean;
}

/** Builds one batch; {@link reset} starts the next one in a (possibly reused) buffer. */
export class BatchBuilder {
  #buf: Uint8Array;
  #view: DataView;
  #pos = BATCH_HEADER_SIZE;
  #count = 0;
  #baseTimestamp = 0;
  #maxTimestamp = 0;

  constructor(buffer: Uint8Array | number = 16 * 1024) {
    this.#buf = typeof buffer === "number" ? new Uint8Array(buffer) : buffer;
    this.#view = new DataView(this.#buf.buffer, this.#buf.byteOffset, this.#buf.byteLength);
  }

  /** Records appended since the last reset. */
  get count(): number {
    return this.#count;
  }

  /** Bytes of the batch so far (header included, uncompressed). */
  get size(): number {
    return this.#pos;
  }

  /** The buffer records are written to (hand it back to a pool once the batch is acked). */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** Starts an empty batch, in `buffer` when given (else the current one is overwritten). */
  reset(buffer?: Uint8Array): void {
    if (buffer) {
      this.#buf = buffer;
      this.#view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    }
    this.#pos = BATCH_HEADER_SIZE;
    this.#count = 0;
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Appends one record. `timestamp` in ms since the epoch. */
  append(
    key: RecordBytes,
    value: RecordBytes,
    headers: RecordHeaders | undefined,
    timestamp: number,
  ): void {
    if (this.#count === 0) {
      this.#baseTimestamp = timestamp;
      this.#maxTimestamp = timestamp;
    } else if (timestamp > this.#maxTimestamp) this.#maxTimestamp = timestamp;
    // The largest the body can be: strings take at most 3 bytes per UTF-16 unit.
    let max = 1 + 10 + 5 + 5 + fieldMax(key) + 5 + fieldMax(value) + 5;
    let headerCount = 0;
    if (headers) {
      for (const k in headers) {
        max += 10 + k.length * 3 + fieldMax(headers[k]);
        headerCount++;
      }
    }
    this.#ensure(5 + max);
    const lenBytes = lengthSize(max);
    const start = this.#pos + lenBytes;
    const b = this.#buf;
    let p = start;
    b[p++] = 0; // attributes
    p = writeVarlong(b, p, timestamp - this.#baseTimestamp);
    p = writeVarint(b, p, this.#count);
    p = writeField(b, p, key);
    p = writeField(b, p, value);
    p = writeVarint(b, p, headerCount);
    if (headerCount > 0) {
      for (const k in headers) {
        p = writeField(b, p, k);
        p = writeField(b, p, headers![k]);
      }
    }
    const len = p - start;
    const need = lengthSize(len);
    if (need < lenBytes) {
      b.copyWithin(this.#pos + need, start, p);
      p -= lenBytes - need;
    }
    writeVarint(b, this.#pos, len);
    this.#pos = p;
    this.#count++;
  }

  /**
   * Closes the batch: fills the header (and compresses the records section) and returns the
   * complete batch. Uncompressed, it is a view of {@link buffer}.
   */
  finish(id: BatchIdentity, compression: CompressionName = "none"): Uint8Array {
    if (this.#count === 0) throw new Error("a record batch needs at least one record");
    let out = this.#buf.subarray(0, this.#pos);
    let v = this.#view;
    const codec = COMPRESSION_CODE[compression];
    if (codec !== 0) {
      const section = out.subarray(BATCH_HEADER_SIZE);
      const packed = codec === 1 ? gzipSync(section) : zstdCompressSync(section);
      const next = new Uint8Array(BATCH_HEADER_SIZE + packed.length);
      next.set(packed, BATCH_HEADER_SIZE);
      out = next;
      v = new DataView(next.buffer);
    }
    v.setBigInt64(Off.baseOffset, 0n);
    v.setInt32(Off.batchLength, out.length - LOG_OVERHEAD);
    v.setInt32(Off.partitionLeaderEpoch, -1);
    v.setInt8(Off.magic, 2);
    v.setInt16(Off.attributes, codec | (id.transactional ? Attr.transactional : 0));
    v.setInt32(Off.lastOffsetDelta, this.#count - 1);
    v.setBigInt64(Off.baseTimestamp, BigInt(this.#baseTimestamp));
    v.setBigInt64(Off.maxTimestamp, BigInt(this.#maxTimestamp));
    v.setBigInt64(Off.producerId, BigInt(id.producerId));
    v.setInt16(Off.producerEpoch, id.producerEpoch);
    v.setInt32(Off.baseSequence, id.baseSequence);
    v.setInt32(Off.recordCount, this.#count);
    v.setUint32(Off.crc, crc32c(out, Off.attributes));
    return out;
  }
}

function fieldMax(v: RecordBytes): number {
  return v == null ? 0 : typeof v === "string" ? v.length * 3 : v.length;
}

/** Zig-zag varint of a small signed integer (|v| < 2^30). */
function writeVarint(b: Uint8Array, p: number, v: number): number {
  let u = ((v << 1) ^ (v >> 31)) >>> 0;
  while (u >= 0x80) {
    b[p++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  b[p++] = u;
  return p;
}

/** Zig-zag varlong of a safe integer. */
function writeVarlong(b: Uint8Array, p: number, v: number): number {
  if (v > -0x40000000 && v < 0x40000000) return writeVarint(b, p, v);
  let u = v >= 0 ? v * 2 : -v * 2 - 1;
  while (u >= 0x80) {
    b[p++] = (u % 0x80) | 0x80;
    u = Math.floor(u / 0x80);
  }
  b[p++] = u;
  return p;
}

/** A length-prefixed field (-1 for null); strings are UTF-8-encoded in place. */
function writeField(b: Uint8Array, p: number, v: RecordBytes): number {
  if (v == null) {
    b[p++] = 1; // zig-zag -1
    return p;
  }
  if (typeof v !== "string") {
    const n = v.length;
    p = writeVarint(b, p, n);
    // A loop beats TypedArray.set's call overhead for short fields (keys, small values).
    if (n < 48) { for (let i = 0; i < n; i++) b[p + i] = v[i]; }
    else b.set(v, p);
    return p + n;
  }
  const n = v.length;
  if (n < 64) {
    // Short strings: ASCII written byte by byte (no encoder call), else the general path.
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (v.charCodeAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      b[p++] = n << 1;
      for (let i = 0; i < n; i++) b[p++] = v.charCodeAt(i);
      return p;
    }
  }
  const lenBytes = lengthSize(n * 3);
  const written = enc.encodeInto(v, b.subarray(p + lenBytes)).written;
  const need = lengthSize(written);
  if (need < lenBytes) b.copyWithin(p + need, p + lenBytes, p + lenBytes + written);
  writeVarint(b, p, written);
  return p + need + written;
}
