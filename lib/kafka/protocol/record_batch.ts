/**
 * Kafka RecordBatch v2 (magic 2): header parsing and validation, record iteration (including
 * gzip-compressed batches), and building batches (tests, control markers, compaction).
 *
 * Byte layout (offsets from the batch start):
 * `baseOffset i64 @0, batchLength i32 @8, partitionLeaderEpoch i32 @12, magic i8 @16,
 * crc u32 @17 (CRC-32C of [21, end)), attributes i16 @21, lastOffsetDelta i32 @23,
 * baseTimestamp i64 @27, maxTimestamp i64 @35, producerId i64 @43, producerEpoch i16 @51,
 * baseSequence i32 @53, recordCount i32 @57, records @61`.
 *
 * @module
 */
import { gzipSync, zstdCompressSync } from "node:zlib";
import { decompress, DecompressError } from "./compression.ts";
import { Reader, Writer } from "./codec.ts";
import { crc32c } from "./crc32c.ts";
import { ErrorCode, KafkaError, ProtocolError } from "./errors.ts";

/** Size of the fixed batch header, up to and including recordCount. */
export const BATCH_HEADER_SIZE = 61;
/** Bytes before the batchLength-counted part (baseOffset + batchLength). */
export const LOG_OVERHEAD = 12;

/** Field offsets inside a batch. */
export const Off = Object.freeze({
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
  records: 61,
});

/** Attribute bits. */
export const Attr = Object.freeze({
  compressionMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
  deleteHorizon: 0x40,
});

/** Compression codec ids (attributes bits 0-2). */
export const Compression = Object.freeze({ none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 });

const compressionNames = ["none", "gzip", "snappy", "lz4", "zstd"];

/** The fixed header fields of one batch. */
export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function i64(v: DataView, at: number): number {
  // Fast path for values that fit in 53 bits; out-of-range values become NaN-free clamps.
  const hi = v.getInt32(at);
  const lo = v.getUint32(at + 4);
  return hi * 4294967296 + lo;
}

/** Reads the header of the batch starting at `at` (no validation beyond bounds). */
export function readBatchHeader(buf: Uint8Array, at = 0): BatchHeader {
  if (buf.length - at < BATCH_HEADER_SIZE) {
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `record batch of ${
        buf.length - at
      } bytes is shorter than the ${BATCH_HEADER_SIZE}-byte header`,
    );
  }
  const v = view(buf);
  return {
    baseOffset: i64(v, at + Off.baseOffset),
    batchLength: v.getInt32(at + Off.batchLength),
    partitionLeaderEpoch: v.getInt32(at + Off.partitionLeaderEpoch),
    magic: v.getInt8(at + Off.magic),
    crc: v.getUint32(at + Off.crc),
    attributes: v.getInt16(at + Off.attributes),
    lastOffsetDelta: v.getInt32(at + Off.lastOffsetDelta),
    baseTimestamp: i64(v, at + Off.baseTimestamp),
    maxTimestamp: i64(v, at + Off.maxTimestamp),
    producerId: i64(v, at + Off.producerId),
    producerEpoch: v.getInt16(at + Off.producerEpoch),
    baseSequence: v.getInt32(at + Off.baseSequence),
    recordCount: v.getInt32(at + Off.recordCount),
  };
}

/**
 * Validates one complete batch received from a client (exactly `buf`, no trailing bytes):
 * size, batchLength, magic, CRC-32C, record count vs lastOffsetDelta, compression id, and
 * the control/producer-id rules. Throws {@link KafkaError} with the code Kafka would return.
 */
export function validateBatch(buf: Uint8Array): BatchHeader {
  const h = readBatchHeader(buf);
  if (h.batchLength !== buf.length - LOG_OVERHEAD) {
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `batchLength ${h.batchLength} does not match the ${buf.length - LOG_OVERHEAD} bytes present`,
    );
  }
  if (h.magic !== 2) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `unsupported magic ${h.magic} (only 2)`);
  }
  const crc = crc32c(buf, Off.attributes);
  if (crc !== h.crc) {
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `CRC-32C mismatch: batch says ${h.crc.toString(16)}, computed ${crc.toString(16)}`,
    );
  }
  if (h.recordCount <= 0 || h.lastOffsetDelta + 1 !== h.recordCount) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      `recordCount ${h.recordCount} does not match lastOffsetDelta ${h.lastOffsetDelta}`,
    );
  }
  if ((h.attributes & Attr.compressionMask) > 4) {
    throw new KafkaError(
      ErrorCode.CORRUPT_MESSAGE,
      `invalid compression id ${h.attributes & Attr.compressionMask}`,
    );
  }
  checkRecordFraming(buf, h);
  if (h.producerId >= 0 && h.baseSequence < 0 && !(h.attributes & Attr.control)) {
    throw new KafkaError(
      ErrorCode.INVALID_RECORD,
      `producerId ${h.producerId} with negative baseSequence ${h.baseSequence}`,
    );
  }
  return h;
}

/**
 * Walks the records of a batch (decompressing first if needed) without decoding them: every
 * record's length prefix and fields must fit exactly, offset deltas must run 0..recordCount-1
 * and the records must fill the section. This keeps a CRC-valid but malformed batch (or one
 * claiming a huge record count) out of the log, as Kafka's LogValidator does.
 */
export function checkRecordFraming(batch: Uint8Array, h: BatchHeader): void {
  const compressed = (h.attributes & Attr.compressionMask) !== Compression.none;
  const buf = compressed ? recordsSection(batch, h) : batch;
  const end = compressed ? buf.length : LOG_OVERHEAD + h.batchLength;
  fb = buf;
  fEnd = end;
  fp = compressed ? 0 : Off.records;
  try {
    for (let i = 0; i < h.recordCount; i++) {
      const len = fVarint();
      const recEnd = fp + len;
      if (len < 1 || recEnd > end) throw framing(`record ${i} length ${len} does not fit`);
      fp++; // attributes
      fSkipVarlong(); // timestampDelta
      const od = fVarint();
      if (od !== i) {
        throw new KafkaError(ErrorCode.INVALID_RECORD, `record ${i} has offset delta ${od}`);
      }
      // -1 is null; anything lower would stall consumers (librdkafka) at this offset.
      const kl = fVarint();
      if (kl < -1) throw framing(`record ${i} key length ${kl} is below -1`);
      if (kl > 0) fp += kl;
      const vl = fVarint();
      if (vl < -1) throw framing(`record ${i} value length ${vl} is below -1`);
      if (vl > 0) fp += vl;
      const hc = fVarint();
      if (hc < 0 || fp > recEnd) throw framing(`record ${i} fields overrun its length`);
      for (let j = 0; j < hc; j++) {
        const hk = fVarint();
        if (hk < 0) throw framing(`record ${i} header ${j} has a null key`);
        fp += hk;
        const hv = fVarint();
        if (hv < -1) throw framing(`record ${i} header ${j} value length ${hv} is below -1`);
        if (hv > 0) fp += hv;
        if (fp > recEnd) throw framing(`record ${i} headers overrun its length`);
      }
      if (fp !== recEnd) throw framing(`record ${i} length ${len} mismatches its fields`);
    }
    if (fp !== end) throw framing(`${end - fp} bytes after the last of ${h.recordCount} records`);
  } finally {
    fb = EMPTY;
  }
}

// Module-level cursor for checkRecordFraming: plain variables keep the hot loop fast.
const EMPTY = new Uint8Array(0);
let fb: Uint8Array = EMPTY;
let fp = 0;
let fEnd = 0;

function framing(msg: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, msg);
}

/** Zig-zag varint at the cursor; one-byte values take the fast path. */
function fVarint(): number {
  if (fp >= fEnd) throw framing(`varint runs past the records at byte ${fp}`);
  const b0 = fb[fp++];
  if (b0 < 0x80) return (b0 >>> 1) ^ -(b0 & 1);
  let u = b0 & 0x7f;
  for (let shift = 7; shift < 35; shift += 7) {
    if (fp >= fEnd) throw framing(`varint runs past the records at byte ${fp}`);
    const b = fb[fp++];
    u += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  throw framing(`varint too long at byte ${fp}`);
}

function fSkipVarlong(): void {
  for (let i = 0; i < 10; i++) {
    if (fp >= fEnd) throw framing(`varlong runs past the records at byte ${fp}`);
    if (!(fb[fp++] & 0x80)) return;
  }
  throw framing(`varlong too long at byte ${fp}`);
}

/**
 * Checks only what recovery can check on stored bytes at `at`: a plausible length that fits,
 * magic 2 and the CRC. Returns the batch's total size, or a reason string when invalid.
 */
export function checkStoredBatch(buf: Uint8Array, at: number, end: number): number | string {
  if (end - at < LOG_OVERHEAD) return `${end - at} trailing bytes, shorter than a batch header`;
  const v = view(buf);
  const len = v.getInt32(at + Off.batchLength);
  if (len < BATCH_HEADER_SIZE - LOG_OVERHEAD) return `invalid batchLength ${len}`;
  if (at + LOG_OVERHEAD + len > end) {
    return `batch of ${LOG_OVERHEAD + len} bytes is cut off after ${end - at} bytes`;
  }
  if (v.getInt8(at + Off.magic) !== 2) return `invalid magic ${v.getInt8(at + Off.magic)}`;
  const stored = v.getUint32(at + Off.crc);
  const crc = crc32c(buf, at + Off.attributes, at + LOG_OVERHEAD + len);
  if (stored !== crc) {
    return `CRC-32C mismatch (stored ${stored.toString(16)}, computed ${crc.toString(16)})`;
  }
  return LOG_OVERHEAD + len;
}

/** Writes baseOffset in place (outside the CRC). */
export function setBaseOffset(buf: Uint8Array, offset: number, at = 0): void {
  view(buf).setBigInt64(at + Off.baseOffset, BigInt(offset));
}

/** Writes partitionLeaderEpoch in place (outside the CRC). */
export function setPartitionLeaderEpoch(buf: Uint8Array, epoch: number, at = 0): void {
  view(buf).setInt32(at + Off.partitionLeaderEpoch, epoch);
}

/** Recomputes and stores the CRC of a whole batch starting at 0 (after an in-CRC rewrite). */
export function updateCrc(buf: Uint8Array): void {
  view(buf).setUint32(Off.crc, crc32c(buf, Off.attributes));
}

/** Sets the LogAppendTime attribute and maxTimestamp = now, then recomputes the CRC. */
export function setLogAppendTime(buf: Uint8Array, now: number): void {
  const v = view(buf);
  v.setInt16(Off.attributes, v.getInt16(Off.attributes) | Attr.logAppendTime);
  v.setBigInt64(Off.maxTimestamp, BigInt(now));
  updateCrc(buf);
}

/** One record header. */
export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

/** One decoded record of a batch. */
export interface BatchRecord {
  attributes: number;
  offsetDelta: number;
  timestampDelta: number;
  /** Absolute offset (baseOffset + offsetDelta). */
  offset: number;
  /** Absolute timestamp (maxTimestamp for LogAppendTime batches). */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

/** The records section of a batch, decompressed if needed (gzip, snappy, lz4, zstd). */
export function recordsSection(buf: Uint8Array, h: BatchHeader = readBatchHeader(buf)): Uint8Array {
  const end = LOG_OVERHEAD + h.batchLength;
  const raw = buf.subarray(Off.records, end);
  const codec = h.attributes & Attr.compressionMask;
  if (codec === Compression.none) return raw;
  if (codec > Compression.zstd) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `invalid compression id ${codec}`);
  }
  try {
    return decompress(codec, raw);
  } catch (e) {
    if (e instanceof DecompressError) {
      throw new KafkaError(
        ErrorCode.CORRUPT_MESSAGE,
        `${compressionNames[codec]} records do not decompress: ${e.message}`,
      );
    }
    throw e;
  }
}

/**
 * Decodes every record of the batch at `buf[0..]`. Throws KafkaError CORRUPT_MESSAGE on
 * malformed records or compressed data.
 */
export function decodeRecords(
  buf: Uint8Array,
  h: BatchHeader = readBatchHeader(buf),
): BatchRecord[] {
  const section = recordsSection(buf, h);
  const r = new Reader(section);
  const out: BatchRecord[] = [];
  const appendTime = (h.attributes & Attr.logAppendTime) !== 0;
  try {
    for (let i = 0; i < h.recordCount; i++) {
      const len = r.varint();
      if (len < 0 || len > r.remaining) throw new ProtocolError(`record ${i} length ${len}`);
      const end = r.pos + len;
      const attributes = r.int8();
      const timestampDelta = r.varlong();
      const offsetDelta = r.varint();
      const kl = r.varint();
      const key = kl < 0 ? null : r.raw(kl);
      const vl = r.varint();
      const value = vl < 0 ? null : r.raw(vl);
      const hc = r.varint();
      if (hc < 0 || hc > r.remaining) throw new ProtocolError(`record ${i} header count ${hc}`);
      const headers: RecordHeader[] = [];
      for (let j = 0; j < hc; j++) {
        const hkl = r.varint();
        if (hkl < 0) throw new ProtocolError(`record ${i} header ${j} null key`);
        const hk = new TextDecoder().decode(r.raw(hkl));
        const hvl = r.varint();
        headers.push({ key: hk, value: hvl < 0 ? null : r.raw(hvl) });
      }
      if (r.pos !== end) throw new ProtocolError(`record ${i} length ${len} mismatches its fields`);
      out.push({
        attributes,
        offsetDelta,
        timestampDelta,
        offset: h.baseOffset + offsetDelta,
        timestamp: appendTime ? h.maxTimestamp : h.baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      });
    }
  } catch (e) {
    if (e instanceof KafkaError) throw e;
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `malformed record: ${(e as Error).message}`);
  }
  return out;
}

/** A record to put in a built batch. */
export interface RecordInput {
  key?: Uint8Array | string | null;
  value?: Uint8Array | string | null;
  headers?: { key: string; value: Uint8Array | string | null }[];
  /** Absolute timestamp; defaults to the batch's base timestamp. */
  timestamp?: number;
  /** Explicit offset delta (compaction keeps original deltas); defaults to the index. */
  offsetDelta?: number;
}

/** Options for {@link buildBatch}. */
export interface BuildBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Defaults to the first record's timestamp, else Date.now(). */
  baseTimestamp?: number;
  /** Overrides the computed max timestamp (e.g. LogAppendTime batches). */
  maxTimestamp?: number;
  /** Overrides the computed lastOffsetDelta (compacted batches keep their original one). */
  lastOffsetDelta?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  logAppendTime?: boolean;
  /** none, gzip or zstd (snappy/lz4 are decoded but not produced here). */
  compression?: typeof Compression.none | typeof Compression.gzip | typeof Compression.zstd;
}

const enc = new TextEncoder();
function bytesOf(v: Uint8Array | string | null | undefined): Uint8Array | null {
  if (v == null) return null;
  return typeof v === "string" ? enc.encode(v) : v;
}

/**
 * Builds a complete RecordBatch v2 with a valid CRC.
 *
 * @example
 * ```ts
 * import { buildBatch, validateBatch } from "./record_batch.ts";
 * const b = buildBatch([{ key: "k", value: "v" }]);
 * validateBatch(b).recordCount; // 1
 * ```
 */
export function buildBatch(records: RecordInput[], opts: BuildBatchOptions = {}): Uint8Array {
  if (records.length === 0) throw new Error("a record batch needs at least one record");
  const baseTimestamp = opts.baseTimestamp ?? records[0].timestamp ?? Date.now();
  const body = new Writer(64 + records.length * 32);
  let maxTs = -1;
  let maxDelta = 0;
  records.forEach((rec, i) => {
    const ts = rec.timestamp ?? baseTimestamp;
    if (ts > maxTs) maxTs = ts;
    const od = rec.offsetDelta ?? i;
    if (od > maxDelta) maxDelta = od;
    const w = new Writer(32);
    w.int8(0).varlong(ts - baseTimestamp).varint(od);
    const k = bytesOf(rec.key);
    if (k === null) w.varint(-1);
    else w.varint(k.length).raw(k);
    const v = bytesOf(rec.value);
    if (v === null) w.varint(-1);
    else w.varint(v.length).raw(v);
    const hs = rec.headers ?? [];
    w.varint(hs.length);
    for (const h of hs) {
      const hk = enc.encode(h.key);
      w.varint(hk.length).raw(hk);
      const hv = bytesOf(h.value);
      if (hv === null) w.varint(-1);
      else w.varint(hv.length).raw(hv);
    }
    const rb = w.finish();
    body.varint(rb.length).raw(rb);
  });
  let section = body.finish();
  const codec = opts.compression ?? Compression.none;
  if (codec === Compression.gzip) section = new Uint8Array(gzipSync(section));
  else if (codec === Compression.zstd) section = new Uint8Array(zstdCompressSync(section));
  let attributes = codec;
  if (opts.logAppendTime) attributes |= Attr.logAppendTime;
  if (opts.transactional) attributes |= Attr.transactional;
  if (opts.control) attributes |= Attr.control;
  const out = new Uint8Array(BATCH_HEADER_SIZE + section.length);
  const v = view(out);
  v.setBigInt64(Off.baseOffset, BigInt(opts.baseOffset ?? 0));
  v.setInt32(Off.batchLength, out.length - LOG_OVERHEAD);
  v.setInt32(Off.partitionLeaderEpoch, opts.partitionLeaderEpoch ?? 0);
  v.setInt8(Off.magic, 2);
  v.setInt16(Off.attributes, attributes);
  v.setInt32(Off.lastOffsetDelta, opts.lastOffsetDelta ?? maxDelta);
  v.setBigInt64(Off.baseTimestamp, BigInt(baseTimestamp));
  v.setBigInt64(Off.maxTimestamp, BigInt(opts.maxTimestamp ?? maxTs));
  v.setBigInt64(Off.producerId, BigInt(opts.producerId ?? -1));
  v.setInt16(Off.producerEpoch, opts.producerEpoch ?? -1);
  v.setInt32(Off.baseSequence, opts.baseSequence ?? -1);
  v.setInt32(Off.recordCount, records.length);
  out.set(section, Off.records);
  updateCrc(out);
  return out;
}

/** Control record types (the key's second int16). */
export const ControlType = Object.freeze({ abort: 0, commit: 1 });

/**
 * Builds a transaction marker: attributes 0x30, one record whose key is
 * `version 0, type` (`00 00 00 00` = ABORT, `00 00 00 01` = COMMIT) and whose value is
 * `version 0, coordinatorEpoch`; baseSequence -1.
 */
export function buildControlBatch(opts: {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  coordinatorEpoch?: number;
  timestamp?: number;
  baseOffset?: number;
}): Uint8Array {
  const key = new Uint8Array(4);
  view(key).setInt16(2, opts.commit ? ControlType.commit : ControlType.abort);
  const value = new Uint8Array(6);
  view(value).setInt32(2, opts.coordinatorEpoch ?? 0);
  return buildBatch([{ key, value, timestamp: opts.timestamp ?? Date.now() }], {
    baseOffset: opts.baseOffset,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
  });
}

/** For a control batch: true for COMMIT, false for ABORT, null when the key is unrecognised. */
export function controlBatchIsCommit(
  buf: Uint8Array,
  h: BatchHeader = readBatchHeader(buf),
): boolean | null {
  try {
    const recs = decodeRecords(buf, h);
    const k = recs[0]?.key;
    if (!k || k.length < 4) return null;
    const type = view(k).getInt16(2);
    return type === ControlType.commit ? true : type === ControlType.abort ? false : null;
  } catch {
    return null;
  }
}
