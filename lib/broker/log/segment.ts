/**
 * One log segment: `<20-digit baseOffset>.log` holding record batches back to back exactly as
 * stored, and `<baseOffset>.index` beside it with one fixed-size entry per batch.
 *
 * The index is kept in memory as the same bytes as the file. The active segment's index file
 * is only written on roll/flush/close: recovery always rescans the last segment, so its index
 * is rebuildable by construction; closed segments' indexes are checked against the log size
 * and rebuilt by a scan when they disagree.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../../util/log.ts";
import {
  Attr,
  type BatchHeader,
  checkStoredBatch,
  controlBatchIsCommit,
  readBatchHeader,
} from "../../kafka/protocol/record_batch.ts";
import { ErrorCode, KafkaError } from "../../kafka/protocol/errors.ts";
import { openSegmentFiles, type Reopenable } from "./open_files.ts";

/** Bytes per index entry. */
export const INDEX_ENTRY = 40;
// Entry layout: relBase u32 @0, position u32 @4, size u32 @8, lastOffsetDelta i32 @12,
// maxTimestamp f64 @16, producerId f64 @24, producerEpoch i16 @32, flags u16 @34,
// baseSequence i32 @36.

/** Index flag bits: low byte = batch attributes; these mark the control type. */
export const Flag = Object.freeze({
  transactional: Attr.transactional,
  control: Attr.control,
  commit: 0x100,
  abort: 0x200,
});

/** File name of a segment's log for a base offset. */
export function segmentName(base: number, ext: "log" | "index"): string {
  return `${String(base).padStart(20, "0")}.${ext}`;
}

/** Flags for the index entry of a stored batch. */
export function flagsFor(h: BatchHeader, batch: Uint8Array): number {
  let f = h.attributes & (Attr.transactional | Attr.control);
  if (f & Attr.control) {
    const commit = controlBatchIsCommit(batch, h);
    if (commit === true) f |= Flag.commit;
    else if (commit === false) f |= Flag.abort;
  }
  return f;
}

function writeAll(f: Deno.FsFile, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
}

/**
 * An open log file shared by its segment and the readers streaming from it (Fetch responses
 * written as the socket drains). The descriptor is closed when the last holder lets go, so a
 * reader keeps the bytes it planned even after compaction renamed a new file over the path
 * or retention unlinked it (the old inode lives while the descriptor is open, as in Kafka,
 * which deletes replaced segments only later).
 */
class SharedFile {
  private refs = 1;
  constructor(readonly f: Deno.FsFile) {}
  retain(): void {
    this.refs++;
  }
  release(): void {
    if (--this.refs > 0) return;
    try {
      this.f.close();
    } catch { /* already closed */ }
  }
}

/**
 * A pinned read view of a segment's log file (see {@link Segment.openReader}): reads stay on
 * the file as it was when the reader opened, whatever the log does meanwhile.
 */
export interface SegmentReader {
  /** Fills `out` with the file's bytes from `pos`. */
  readInto(pos: number, out: Uint8Array): void;
  /** Lets the file go; idempotent. */
  release(): void;
}

function removeInBackground(path: string): void {
  Deno.remove(path).catch(() => {/* gone already, or the directory was removed */});
}

function readFully(f: Deno.FsFile, pos: number, out: Uint8Array, path: string): void {
  f.seekSync(pos, Deno.SeekMode.Start);
  let got = 0;
  while (got < out.length) {
    const n = f.readSync(out.subarray(got));
    if (n === null || n === 0) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        `short read of ${path} at byte ${pos + got}`,
      );
    }
    got += n;
  }
}

/** A segment file pair with its in-memory index. */
export class Segment implements Reopenable {
  readonly base: number;
  readonly logPath: string;
  readonly indexPath: string;
  /** The log file while open; {@link openSegmentFiles} closes idle ones past its cap. */
  private fh: SharedFile | null;
  /** Async operations using the file (it must not be closed under them). */
  private busy = 0;
  private closed = false;
  /** Bytes in the .log file. */
  size = 0;
  private idx: Uint8Array;
  private dv: DataView;
  /** Number of batches. */
  count = 0;
  private flushed = 0;
  /** Where {@link flushIndex} writes (a rewrite's temporary index until it is installed). */
  private indexTarget: string;
  /** Largest batch maxTimestamp in the segment (-1 when empty). */
  maxTimestamp = -1;
  /** Offset after the last batch (base when empty). */
  nextOffset: number;
  /** Wall-clock time the segment was created or opened (segment.ms rolls). */
  readonly openedAt = Date.now();
  /** Last modification time of the log file (retention of batches without timestamps). */
  mtime = Date.now();

  private constructor(dir: string, base: number, file: Deno.FsFile) {
    this.base = base;
    this.nextOffset = base;
    this.logPath = join(dir, segmentName(base, "log"));
    this.indexPath = join(dir, segmentName(base, "index"));
    this.indexTarget = this.indexPath;
    this.fh = new SharedFile(file);
    openSegmentFiles.touch(this);
    this.idx = new Uint8Array(INDEX_ENTRY * 64);
    this.dv = new DataView(this.idx.buffer);
  }

  /** The log file, reopened if the cap closed it. */
  private get file(): Deno.FsFile {
    return this.shared.f;
  }

  private get shared(): SharedFile {
    let f = this.fh;
    if (f === null) {
      if (this.closed) {
        throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `segment ${this.logPath} is closed`);
      }
      f = this.fh = new SharedFile(Deno.openSync(this.logPath, { read: true, append: true }));
    }
    openSegmentFiles.touch(this);
    return f;
  }

  /**
   * For {@link openSegmentFiles}: closes the file unless an async operation uses it (readers
   * from {@link openReader} keep their own hold on it).
   */
  closeHandle(): boolean {
    if (this.busy > 0) return false;
    this.fh?.release();
    this.fh = null;
    return true;
  }

  /**
   * Pins the log file as it is now for reads that happen later (a Fetch response streamed as
   * the socket drains); see {@link SharedFile}. Reads are synchronous (seek then read), so
   * readers sharing the descriptor never interleave.
   */
  openReader(): SegmentReader {
    const shared = this.shared;
    shared.retain();
    let held = true;
    const path = this.logPath;
    return {
      readInto(pos, out) {
        if (!held) throw new Error(`reader of ${path} used after release`);
        readFully(shared.f, pos, out, path);
      },
      release() {
        if (!held) return;
        held = false;
        shared.release();
      },
    };
  }

  /** Runs `op` on the file with it pinned open. */
  private async pinned<T>(op: (f: Deno.FsFile) => Promise<T>): Promise<T> {
    const f = this.file;
    this.busy++;
    try {
      return await op(f);
    } finally {
      this.busy--;
    }
  }

  /**
   * A segment written at `logPath.cleaned` (compaction's rewrite of this base offset), index
   * at `indexPath.cleaned`, to be put in place by {@link install}. Its file stays open (the
   * cap never closes it: a reopen by path would find the old log) until then.
   */
  static rewrite(dir: string, base: number): Segment {
    const tmp = join(dir, `${segmentName(base, "log")}.cleaned`);
    const f = Deno.openSync(tmp, { read: true, append: true, create: true });
    f.truncateSync(0);
    const s = new Segment(dir, base, f);
    s.busy++;
    s.indexTarget = `${s.indexPath}.cleaned`;
    try {
      Deno.removeSync(s.indexTarget);
    } catch { /* absent */ }
    return s;
  }

  /** Bytes written to the index file by {@link flushIndex} (compaction slices count them). */
  get unflushedIndexBytes(): number {
    return (this.count - this.flushed) * INDEX_ENTRY;
  }

  /**
   * Puts a {@link rewrite} in place of `old` (closed first): the old index goes, then the new
   * log and index are renamed over the old names. A crash between the steps leaves a missing
   * or inconsistent index, which opening rebuilds by a scan.
   */
  install(old: Segment): void {
    this.flushIndex();
    old.close();
    try {
      Deno.removeSync(old.indexPath);
    } catch { /* absent */ }
    // A second name keeps the old blocks allocated past the rename; they are freed off the
    // event loop (freeing a 64 MiB file's blocks takes tens of ms).
    const doomed = `${this.logPath}.deleted`;
    try {
      Deno.removeSync(doomed);
    } catch { /* absent */ }
    Deno.linkSync(this.logPath, doomed);
    Deno.renameSync(`${this.logPath}.cleaned`, this.logPath);
    removeInBackground(doomed);
    if (this.count > 0) Deno.renameSync(this.indexTarget, this.indexPath);
    this.indexTarget = this.indexPath;
    this.busy--;
  }

  /** Drops an unfinished {@link rewrite}: closes it and removes its files. */
  discard(): void {
    this.busy--;
    this.close();
    for (const p of [`${this.logPath}.cleaned`, this.indexTarget]) {
      try {
        Deno.removeSync(p);
      } catch { /* absent */ }
    }
  }

  /** Creates a new empty segment (truncating leftovers of the same name). */
  static create(dir: string, base: number): Segment {
    const logPath = join(dir, segmentName(base, "log"));
    const f = Deno.openSync(logPath, { read: true, append: true, create: true });
    f.truncateSync(0);
    const s = new Segment(dir, base, f);
    try {
      Deno.removeSync(s.indexPath);
    } catch { /* absent */ }
    return s;
  }

  /**
   * Opens an existing segment. With `scan`, or when its index file is missing or inconsistent,
   * every batch is re-verified (length, magic, CRC-32C) and a bad tail is truncated and logged.
   */
  static open(dir: string, base: number, scan: boolean, logger: Logger, label: string): Segment {
    const logPath = join(dir, segmentName(base, "log"));
    const f = Deno.openSync(logPath, { read: true, append: true });
    const s = new Segment(dir, base, f);
    const st = s.file.statSync();
    s.size = st.size;
    s.mtime = st.mtime?.getTime() ?? Date.now();
    if (!scan && s.loadIndex()) return s;
    s.scan(logger, label);
    return s;
  }

  private loadIndex(): boolean {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(this.indexPath);
    } catch {
      return false;
    }
    if (bytes.length % INDEX_ENTRY !== 0) return false;
    const n = bytes.length / INDEX_ENTRY;
    this.ensure(n);
    this.idx.set(bytes);
    this.count = n;
    // Consistency: entries contiguous from 0 and covering the whole log file.
    let pos = 0;
    for (let i = 0; i < n; i++) {
      if (this.posAt(i) !== pos) return this.resetIndex();
      pos += this.sizeAt(i);
    }
    if (pos !== this.size) return this.resetIndex();
    // Spot-check the first and last entries against the batch headers they point at.
    for (const i of n ? [0, n - 1] : []) {
      try {
        const h = readBatchHeader(this.read(this.posAt(i), Math.min(this.sizeAt(i), 61)));
        if (
          h.baseOffset !== this.baseAt(i) || h.baseOffset + h.lastOffsetDelta !== this.lastAt(i)
        ) return this.resetIndex();
      } catch {
        return this.resetIndex();
      }
    }
    this.flushed = n;
    this.recomputeSummary();
    return true;
  }

  private resetIndex(): boolean {
    this.count = 0;
    this.flushed = 0;
    return false;
  }

  private recomputeSummary(): void {
    this.maxTimestamp = -1;
    for (let i = 0; i < this.count; i++) {
      if (this.tsAt(i) > this.maxTimestamp) this.maxTimestamp = this.tsAt(i);
    }
    this.nextOffset = this.count ? this.lastAt(this.count - 1) + 1 : this.base;
  }

  private scan(logger: Logger, label: string): void {
    const data = this.size ? Deno.readFileSync(this.logPath) : new Uint8Array(0);
    this.count = 0;
    this.flushed = 0;
    let pos = 0;
    let reason: string | null = null;
    let prevNext = this.base;
    while (pos < data.length) {
      const r = checkStoredBatch(data, pos, data.length);
      if (typeof r === "string") {
        reason = r;
        break;
      }
      const batch = data.subarray(pos, pos + r);
      const h = readBatchHeader(batch);
      if (h.baseOffset < prevNext) {
        reason = `batch offset ${h.baseOffset} goes backwards (expected >= ${prevNext})`;
        break;
      }
      this.push(h, pos, r, flagsFor(h, batch));
      prevNext = h.baseOffset + h.lastOffsetDelta + 1;
      pos += r;
    }
    if (reason !== null) {
      logger.warn(
        `truncated ${label} segment ${segmentName(this.base, "log")} at byte ${pos}: ${reason}` +
          ` (${data.length - pos} bytes dropped)`,
      );
      this.file.truncateSync(pos);
      this.file.syncDataSync();
      this.size = pos;
    }
    this.recomputeSummary();
    this.writeWholeIndex();
  }

  private ensure(n: number): void {
    if (n * INDEX_ENTRY <= this.idx.length) return;
    let cap = this.idx.length * 2;
    while (cap < n * INDEX_ENTRY) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.idx.subarray(0, this.count * INDEX_ENTRY));
    this.idx = next;
    this.dv = new DataView(next.buffer);
  }

  private push(h: BatchHeader, pos: number, size: number, flags: number): void {
    this.ensure(this.count + 1);
    const at = this.count * INDEX_ENTRY;
    const v = this.dv;
    v.setUint32(at, h.baseOffset - this.base);
    v.setUint32(at + 4, pos);
    v.setUint32(at + 8, size);
    v.setInt32(at + 12, h.lastOffsetDelta);
    v.setFloat64(at + 16, h.maxTimestamp);
    v.setFloat64(at + 24, h.producerId);
    v.setInt16(at + 32, h.producerEpoch);
    v.setUint16(at + 34, flags);
    v.setInt32(at + 36, h.baseSequence);
    this.count++;
    if (h.maxTimestamp > this.maxTimestamp) this.maxTimestamp = h.maxTimestamp;
    this.nextOffset = h.baseOffset + h.lastOffsetDelta + 1;
  }

  /** Appends one stored batch (already carrying its final base offset) with one write. */
  append(batch: Uint8Array, h: BatchHeader, flags: number): void {
    if (h.baseOffset - this.base > 0xffffffff || this.size + batch.length > 0xffffffff) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `segment ${this.logPath} is full`);
    }
    const pos = this.size;
    try {
      writeAll(this.file, batch);
    } catch (e) {
      // Undo a partial write so the file never holds a torn batch we would serve.
      try {
        this.file.truncateSync(pos);
      } catch { /* recovery will truncate */ }
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `write to ${this.logPath}: ${e}`);
    }
    this.size += batch.length;
    this.mtime = Date.now();
    this.push(h, pos, batch.length, flags);
  }

  baseAt(i: number): number {
    return this.base + this.dv.getUint32(i * INDEX_ENTRY);
  }
  posAt(i: number): number {
    return this.dv.getUint32(i * INDEX_ENTRY + 4);
  }
  sizeAt(i: number): number {
    return this.dv.getUint32(i * INDEX_ENTRY + 8);
  }
  /** Last offset of batch i. */
  lastAt(i: number): number {
    return this.baseAt(i) + this.dv.getInt32(i * INDEX_ENTRY + 12);
  }
  tsAt(i: number): number {
    return this.dv.getFloat64(i * INDEX_ENTRY + 16);
  }
  pidAt(i: number): number {
    return this.dv.getFloat64(i * INDEX_ENTRY + 24);
  }
  epochAt(i: number): number {
    return this.dv.getInt16(i * INDEX_ENTRY + 32);
  }
  flagsAt(i: number): number {
    return this.dv.getUint16(i * INDEX_ENTRY + 34);
  }
  seqAt(i: number): number {
    return this.dv.getInt32(i * INDEX_ENTRY + 36);
  }

  /** The time retention compares: the largest record timestamp, else the file's mtime. */
  get retentionTimestamp(): number {
    return this.maxTimestamp > 0 ? this.maxTimestamp : this.mtime;
  }

  /** Index of the first batch whose last offset is >= `offset` (count when none). */
  find(offset: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lastAt(mid) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Reads `len` bytes at `pos` from the log file. */
  read(pos: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.readInto(pos, out);
    return out;
  }

  /** Fills `out` with the log file's bytes from `pos` (Fetch reads into its response). */
  readInto(pos: number, out: Uint8Array): void {
    readFully(this.file, pos, out, this.logPath);
  }

  /** Writes index entries not yet in the index file. */
  flushIndex(): void {
    if (this.flushed === this.count) return;
    const f = Deno.openSync(this.indexTarget, { write: true, create: true });
    try {
      f.truncateSync(this.flushed * INDEX_ENTRY);
      f.seekSync(this.flushed * INDEX_ENTRY, Deno.SeekMode.Start);
      writeAll(f, this.idx.subarray(this.flushed * INDEX_ENTRY, this.count * INDEX_ENTRY));
    } finally {
      f.close();
    }
    this.flushed = this.count;
  }

  private writeWholeIndex(): void {
    this.flushed = 0;
    try {
      Deno.removeSync(this.indexPath);
    } catch { /* absent */ }
    this.flushIndex();
  }

  /** fdatasync of the log file. */
  sync(): void {
    this.file.syncDataSync();
  }

  /** fdatasync of the log file on a worker thread, so the event loop keeps serving. */
  syncAsync(): Promise<void> {
    return this.pinned((f) => f.syncData());
  }

  /** Flushes the index and fsyncs both files (on roll and close). */
  seal(): void {
    this.flushIndex();
    this.file.syncDataSync();
    if (this.count) {
      const f = Deno.openSync(this.indexPath, { write: true });
      try {
        f.syncDataSync();
      } finally {
        f.close();
      }
    }
    this.sealing = null;
  }

  /** The background {@link sealAsync} in progress, if any. */
  sealing: Promise<void> | null = null;

  /**
   * {@link seal} with both fdatasyncs on a worker thread (a roll in fsync "interval" mode: a
   * 64 MiB segment can hold a second of unsynced writes, and a blocking fdatasync of them
   * stalls every connection). The index is written at once; a crash before the fdatasyncs
   * finish is handled by recovery (an index that disagrees with the log is rebuilt).
   */
  sealAsync(): Promise<void> {
    this.flushIndex();
    const indexed = this.count > 0;
    const done = (async () => {
      await this.pinned((f) => f.syncData());
      if (!indexed) return;
      const f = await Deno.open(this.indexPath, { write: true });
      try {
        await f.syncData();
      } finally {
        f.close();
      }
    })();
    // Never rejects (the caller handles `done`'s failure); cleared once settled.
    const tracked: Promise<void> = done.then(() => {}, () => {}).finally(() => {
      if (this.sealing === tracked) this.sealing = null;
    });
    this.sealing = tracked;
    return done;
  }

  close(): void {
    this.closed = true;
    openSegmentFiles.forget(this);
    this.fh?.release();
    this.fh = null;
  }

  /**
   * Closes and deletes both files, freeing the log's blocks off the event loop: the log is
   * renamed to `.deleted` first (opening the partition removes leftovers of a crash).
   */
  deleteInBackground(): void {
    this.close();
    try {
      Deno.removeSync(this.indexPath);
    } catch { /* absent */ }
    const doomed = `${this.logPath}.deleted`;
    try {
      Deno.renameSync(this.logPath, doomed);
    } catch {
      return; // absent
    }
    removeInBackground(doomed);
  }

  /** Closes and deletes both files. */
  delete(): void {
    this.close();
    for (const p of [this.logPath, this.indexPath]) {
      try {
        Deno.removeSync(p);
      } catch { /* absent */ }
    }
  }
}
