/**
 * In-place decoding of the record batches of a Fetch response: a {@link RecordCursor} walks
 * the records of one partition's `records` bytes without creating an object per record. Its
 * fields describe the current record; `key`, `value` and `headers()` are built only when read,
 * as views into the response buffer (no copies). Control batches are skipped, and so are the
 * batches of aborted transactions when the fetch was read_committed.
 *
 * @module
 */

import {
  Attr,
  BATCH_HEADER_SIZE,
  Compression,
  LOG_OVERHEAD,
  Off,
  recordsSection,
} from "../protocol/record_batch.ts";
import { ProtocolError } from "../protocol/errors.ts";

/** An aborted transaction of a read_committed fetch: its producer and first offset. */
export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
}

const dec = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * Walks the records of one partition's fetched bytes. Usage:
 * `const c = new RecordCursor(bytes, from, aborted); while (c.next()) use(c.offset, c.value)`.
 * The `key`/`value` views and the `headers()` object stay valid after `next()` (they point into
 * the response buffer, which is never reused).
 */
export class RecordCursor {
  /** Offset of the current record. */
  offset = -1;
  /** Timestamp of the current record (the batch's max timestamp for LogAppendTime). */
  timestamp = -1;
  /** Offset after the last record (of any kind, control and aborted included) walked so far. */
  nextOffset: number;
  #buf: Uint8Array;
  #view: DataView;
  /** Records of the current batch: the response buffer, or a decompressed section. */
  #rec: Uint8Array = EMPTY;
  #pos = 0;
  #left = 0;
  #at = 0;
  #baseOffset = 0;
  #batchLast = -1;
  #baseTimestamp = 0;
  #appendTime = -1;
  #keyAt = 0;
  #keyLen = -1;
  #valueAt = 0;
  #valueLen = -1;
  #headersAt = 0;
  #headerCount = 0;
  #aborted: AbortedTxn[];
  #abortedAt = 0;
  /** Producers whose current transaction is aborted (read_committed). */
  #abortedProducers: Set<number> | null = null;

  /**
   * @param buf one partition's `records` bytes from a Fetch response
   * @param from the fetch offset: records below it (the start of the first batch) are skipped
   * @param aborted the response's aborted transactions (read_committed), else empty
   */
  constructor(buf: Uint8Array, from: number, aborted: AbortedTxn[] = []) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.nextOffset = from;
    this.#aborted = aborted.length > 1
      ? [...aborted].sort((a, b) => a.firstOffset - b.firstOffset)
      : aborted;
  }

  /** Moves to the next data record at or after the fetch offset; false at the end. */
  next(): boolean {
    for (;;) {
      while (this.#left > 0) {
        this.#left--;
        this.#readRecord();
        if (this.offset >= this.nextOffset) {
          this.nextOffset = this.offset + 1;
          return true;
        }
      }
      // A batch's last offsets may be gone (compaction): the next fetch starts after it.
      if (this.#batchLast >= this.nextOffset) this.nextOffset = this.#batchLast + 1;
      if (!this.#nextBatch()) return false;
    }
  }

  /** The key of the current record: a view into the response, or null. */
  get key(): Uint8Array | null {
    return this.#keyLen < 0 ? null : this.#rec.subarray(this.#keyAt, this.#keyAt + this.#keyLen);
  }

  /** The value of the current record: a view into the response, or null (a tombstone). */
  get value(): Uint8Array | null {
    return this.#valueLen < 0
      ? null
      : this.#rec.subarray(this.#valueAt, this.#valueAt + this.#valueLen);
  }

  /** How many headers the current record has (no decoding). */
  get headerCount(): number {
    return this.#headerCount;
  }

  /**
   * The headers of the current record, decoded now: name → value (text as UTF-8 strings would
   * lose bytes, so values are views; a repeated name keeps its last value).
   */
  headers(): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    if (this.#headerCount === 0) return out;
    const saved = this.#pos;
    this.#pos = this.#headersAt;
    try {
      for (let i = 0; i < this.#headerCount; i++) {
        const kl = this.#varint();
        const name = dec.decode(this.#rec.subarray(this.#pos, this.#pos + kl));
        this.#pos += kl;
        const vl = this.#varint();
        out[name] = vl < 0 ? EMPTY : this.#rec.subarray(this.#pos, this.#pos + vl);
        if (vl > 0) this.#pos += vl;
      }
    } finally {
      this.#pos = saved;
    }
    return out;
  }

  /** Positions on the next batch with data records; false when the bytes are used up. */
  #nextBatch(): boolean {
    const buf = this.#buf;
    const v = this.#view;
    while (this.#at + LOG_OVERHEAD <= buf.length) {
      const at = this.#at;
      const len = v.getInt32(at + Off.batchLength);
      const end = at + LOG_OVERHEAD + len;
      // A partial batch at the end of a response (the broker cuts at max bytes): stop there.
      if (end > buf.length) return false;
      if (len < BATCH_HEADER_SIZE - LOG_OVERHEAD) {
        throw new ProtocolError(`record batch at byte ${at}: invalid batchLength ${len}`);
      }
      this.#at = end;
      const magic = v.getInt8(at + Off.magic);
      if (magic !== 2) throw new ProtocolError(`record batch at byte ${at}: magic ${magic}`);
      const baseOffset = i64(v, at + Off.baseOffset);
      const lastOffset = baseOffset + v.getInt32(at + Off.lastOffsetDelta);
      if (lastOffset < this.nextOffset) continue;
      const attributes = v.getInt16(at + Off.attributes);
      if (this.#aborted.length > 0 && (attributes & Attr.transactional) !== 0) {
        if (this.#skipAborted(at, attributes, lastOffset)) {
          this.nextOffset = lastOffset + 1;
          continue;
        }
      }
      if ((attributes & Attr.control) !== 0) {
        this.nextOffset = lastOffset + 1;
        continue;
      }
      this.#baseOffset = baseOffset;
      this.#batchLast = lastOffset;
      this.#baseTimestamp = i64(v, at + Off.baseTimestamp);
      this.#appendTime = (attributes & Attr.logAppendTime) !== 0
        ? i64(v, at + Off.maxTimestamp)
        : -1;
      this.#left = v.getInt32(at + Off.recordCount);
      if ((attributes & Attr.compressionMask) === Compression.none) {
        this.#rec = buf;
        this.#pos = at + Off.records;
      } else {
        this.#rec = recordsSection(buf.subarray(at, end));
        this.#pos = 0;
      }
      return true;
    }
    return false;
  }

  /**
   * read_committed: whether the transactional batch at `at` belongs to an aborted transaction
   * (KIP-98's consumer algorithm: a producer is aborted from its listed first offset until its
   * abort marker).
   */
  #skipAborted(at: number, attributes: number, lastOffset: number): boolean {
    const producerId = i64(this.#view, at + Off.producerId);
    const list = this.#aborted;
    while (this.#abortedAt < list.length && list[this.#abortedAt].firstOffset <= lastOffset) {
      (this.#abortedProducers ??= new Set()).add(list[this.#abortedAt++].producerId);
    }
    const set = this.#abortedProducers;
    if (!set || !set.has(producerId)) return false;
    if ((attributes & Attr.control) !== 0) {
      // The marker ends the transaction: COMMIT or ABORT, its producer is no longer aborted.
      set.delete(producerId);
    }
    return true;
  }

  #readRecord(): void {
    const len = this.#varint();
    const end = this.#pos + len;
    if (len < 1 || end > this.#rec.length) {
      throw new ProtocolError(`record length ${len} at byte ${this.#pos} does not fit`);
    }
    this.#pos++; // attributes
    const tsDelta = this.#varlong();
    this.offset = this.#baseOffset + this.#varint();
    this.timestamp = this.#appendTime >= 0 ? this.#appendTime : this.#baseTimestamp + tsDelta;
    const kl = this.#varint();
    this.#keyAt = this.#pos;
    this.#keyLen = kl;
    if (kl > 0) this.#pos += kl;
    const vl = this.#varint();
    this.#valueAt = this.#pos;
    this.#valueLen = vl;
    if (vl > 0) this.#pos += vl;
    this.#headerCount = this.#varint();
    this.#headersAt = this.#pos;
    if (this.#pos > end || this.#headerCount < 0) {
      throw new ProtocolError(`record at offset ${this.offset}: fields overrun its length`);
    }
    this.#pos = end;
  }

  /** Zig-zag varint; one-byte values take the fast path. */
  #varint(): number {
    const b = this.#rec;
    const b0 = b[this.#pos++];
    if (b0 < 0x80) return (b0 >>> 1) ^ -(b0 & 1);
    let u = b0 & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      if (this.#pos >= b.length) throw new ProtocolError("varint runs past the records");
      const x = b[this.#pos++];
      u += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
    throw new ProtocolError(`varint too long at byte ${this.#pos}`);
  }

  /** Zig-zag varlong as a number (timestamp deltas fit 53 bits). */
  #varlong(): number {
    const b = this.#rec;
    const b0 = b[this.#pos++];
    if (b0 < 0x80) return (b0 >>> 1) ^ -(b0 & 1);
    let u = b0 & 0x7f;
    for (let shift = 7; shift < 70; shift += 7) {
      if (this.#pos >= b.length) throw new ProtocolError("varlong runs past the records");
      const x = b[this.#pos++];
      u += (x & 0x7f) * 2 ** shift;
      if (!(x & 0x80)) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
    }
    throw new ProtocolError(`varlong too long at byte ${this.#pos}`);
  }
}

function i64(v: DataView, at: number): number {
  return v.getInt32(at) * 4294967296 + v.getUint32(at + 4);
}
