/**
 * One partition's log: ordered segments, the append path (validate, dedupe, assign offsets,
 * write once), reads of whole stored batches, idempotent-producer state and transaction state
 * (ongoing transactions → last stable offset; aborted-transaction index).
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../../util/log.ts";
import { ErrorCode, KafkaError } from "../../kafka/protocol/errors.ts";
import {
  Attr,
  type BatchHeader,
  buildControlBatch,
  decodeRecords,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatch,
} from "../../kafka/protocol/record_batch.ts";
import type { LogConfig } from "./configs.ts";
import { Flag, flagsFor, Segment } from "./segment.ts";
import { lastSequence, ProducerStates } from "./producer_state.ts";
import { writeFileAtomic } from "./topics_store.ts";
import { type AbortedTxn, PartitionTxns } from "./partition_txns.ts";
import {
  offsetForTimestamp,
  planBatches,
  type ReadPlan,
  type ReadResult,
} from "./partition_read.ts";

/** The constant partition leader epoch of this single-node broker. */
export const LEADER_EPOCH = 0;

/** File holding the durable log start offset (DeleteRecords, retention). */
const LOG_START_FILE = "log-start-offset";

export type { AbortedTxn } from "./partition_txns.ts";
export type { ReadPlan, ReadResult } from "./partition_read.ts";

/** Options of {@link PartitionLog.append}. */
export interface AppendOptions {
  /**
   * fsync "always": return before the fdatasync; the caller awaits
   * {@link PartitionLog.durable} before acknowledging.
   */
  deferSync?: boolean;
  /** The caller gives the bytes up: base offset etc. are patched in place, no copy is made. */
  owned?: boolean;
}

/** Options shared by every partition of a manager. */
export interface PartitionOptions {
  /** As `LogManagerOptions.fsync` (manager.ts). */
  fsync: "always" | "interval";
  /** Where truncations and maintenance are logged. */
  logger: Logger;
  /** The topic's current resolved config (read on every append). */
  config: () => LogConfig;
  /** Clock for LogAppendTime and markers (tests). */
  now?: () => number;
}

/** One partition of a topic: a directory of segments. */
export class PartitionLog {
  /** Topic name. */
  readonly topic: string;
  /** Partition index. */
  readonly index: number;
  /** The partition directory. */
  readonly dir: string;
  /** Segments ordered by base offset; the last one is active. */
  segments: Segment[] = [];
  private next = 0;
  private start = 0;
  private readonly opts: PartitionOptions;
  private readonly producers = new ProducerStates();
  /** Ongoing, closing and aborted transactions. */
  private readonly txns = new PartitionTxns();
  /** Callbacks woken by any append (fetch long polling). */
  readonly waiters = new Set<() => void>();
  /** Appended since the last background fsync. */
  dirty = false;
  private closed = false;
  /**
   * Offset below which everything is on disk in fsync "always" mode (equal to `next` in
   * "interval" mode). Deferred appends (see {@link append}) sit between it and `next` until the
   * group-commit fdatasync in {@link durable} covers them; readers never see past it.
   */
  private durableNext = 0;
  /** The group-commit fdatasync in flight, if any. */
  private syncing: Promise<void> | null = null;

  private constructor(topic: string, index: number, dir: string, opts: PartitionOptions) {
    this.topic = topic;
    this.index = index;
    this.dir = dir;
    this.opts = opts;
  }

  /** `topic-partition` for messages. */
  get label(): string {
    return `${this.topic}-${this.index}`;
  }

  /**
   * Opens (or creates) the partition in `dir`: loads segments, rescans the last one (torn or
   * corrupt tails are truncated and logged), and rebuilds producer and transaction state.
   */
  static open(topic: string, index: number, dir: string, opts: PartitionOptions): PartitionLog {
    const p = new PartitionLog(topic, index, dir, opts);
    Deno.mkdirSync(dir, { recursive: true });
    const bases: number[] = [];
    for (const e of Deno.readDirSync(dir)) {
      const m = /^(\d{20})\.log$/.exec(e.name);
      if (e.isFile && m) bases.push(Number(m[1]));
      else if (e.isFile && /\.(cleaned|deleted|tmp)$/.test(e.name)) {
        // Left by a compaction, a deletion or a checkpoint write interrupted by a crash.
        Deno.removeSync(join(dir, e.name));
      }
    }
    bases.sort((a, b) => a - b);
    let storedStart = 0;
    try {
      storedStart = Number(Deno.readTextFileSync(join(dir, LOG_START_FILE)).trim()) || 0;
    } catch { /* none yet */ }
    for (let i = 0; i < bases.length; i++) {
      const last = i === bases.length - 1;
      p.segments.push(Segment.open(dir, bases[i], last, opts.logger, p.label));
    }
    if (p.segments.length === 0) p.segments.push(Segment.create(dir, storedStart));
    p.next = p.active.nextOffset;
    p.durableNext = p.next;
    // The checkpoint is written before any segment is deleted, so it is authoritative; offsets
    // between it and the first batch are compaction gaps that reads skip.
    p.start = Math.min(storedStart, p.next);
    // Segments wholly below the start survive a crash between checkpoint and deletion.
    while (p.segments.length > 1 && p.segments[0].nextOffset <= p.start) {
      p.segments.shift()!.delete();
    }
    p.rebuildState();
    return p;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** Aborted transactions ordered by marker offset (compaction drops their batches). */
  get aborted(): readonly AbortedTxn[] {
    return this.txns.aborted;
  }

  private rebuildState(): void {
    this.txns.clear();
    for (const s of this.segments) {
      for (let i = 0; i < s.count; i++) {
        const pid = s.pidAt(i);
        if (pid < 0) continue;
        const flags = s.flagsAt(i);
        const base = s.baseAt(i);
        const last = s.lastAt(i);
        if (flags & Flag.control) {
          this.closeTxn(pid, s.epochAt(i), base, (flags & Flag.abort) !== 0);
          continue;
        }
        const seq = s.seqAt(i);
        if (seq >= 0) {
          this.producers.record(pid, s.epochAt(i), seq, lastSequence(seq, last - base), base);
        }
        if (flags & Flag.transactional) this.txns.add(pid, base);
      }
    }
    this.txns.prune(this.start);
  }

  private closeTxn(
    pid: number,
    epoch: number,
    markerOffset: number,
    abort: boolean,
  ): number | undefined {
    const first = this.txns.close(pid, markerOffset, abort);
    this.producers.bumpEpoch(pid, epoch);
    return first;
  }

  /** First retained offset. */
  get logStartOffset(): number {
    return this.start;
  }
  /**
   * Next offset readers may see: the log end, except in fsync "always" mode, where appends
   * still waiting for their group-commit fdatasync are not yet visible.
   */
  get highWatermark(): number {
    return this.durableNext;
  }
  /** Whether every append so far is durable (nothing for {@link durable} to wait for). */
  get isDurable(): boolean {
    return this.durableNext >= this.next;
  }
  /** First offset of the earliest ongoing transaction, else the high watermark. */
  get lastStableOffset(): number {
    return this.txns.lastStableOffset(this.durableNext);
  }
  /** Total bytes of all segments. */
  get sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  private ensureOpen(): void {
    if (this.closed) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${this.label} is closed`);
    }
  }

  /**
   * Appends one RecordBatch v2 as received (the bytes are copied once, unless `owned`). See the
   * contract in `broker-contracts.md`: validation, idempotence, offset assignment,
   * LogAppendTime.
   *
   * In fsync "always" mode the batch is durable when this returns, unless `deferSync` is set:
   * then the caller must await {@link durable} before acknowledging, and readers only see the
   * batch once that fdatasync is done. Deferring lets one fdatasync cover many appends.
   */
  append(
    batch: Uint8Array,
    opts: AppendOptions = {},
  ): { baseOffset: number; logAppendTime: number; logStartOffset: number } {
    const deferSync = opts.deferSync ?? false;
    this.ensureOpen();
    const cfg = this.opts.config();
    if (batch.length > cfg.maxMessageBytes) {
      throw new KafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `${this.label}: batch of ${batch.length} bytes exceeds max.message.bytes ${cfg.maxMessageBytes}`,
      );
    }
    const h = validateBatch(batch);
    const where = `${this.label} at offset ${this.next}`;
    if (h.attributes & Attr.control) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `${where}: clients may not send control batches`,
      );
    }
    const transactional = (h.attributes & Attr.transactional) !== 0;
    if (transactional && h.producerId < 0) {
      throw new KafkaError(
        ErrorCode.INVALID_RECORD,
        `${where}: transactional batch without producerId`,
      );
    }
    if (cfg.compact) {
      const recs = decodeRecords(batch, h);
      const i = recs.findIndex((r) => r.key === null);
      if (i >= 0) {
        throw new KafkaError(
          ErrorCode.INVALID_RECORD,
          `${where}: record ${i} has a null key, which compacted topics do not accept`,
        );
      }
    }
    let firstSeq = -1;
    let lastSeq = -1;
    if (h.producerId >= 0) {
      if (!transactional && this.txns.has(h.producerId)) {
        throw new KafkaError(
          ErrorCode.INVALID_TXN_STATE,
          `${where}: producer ${h.producerId} has an open transaction; non-transactional batch refused`,
        );
      }
      firstSeq = h.baseSequence;
      lastSeq = lastSequence(firstSeq, h.lastOffsetDelta);
      const dup = this.producers.check(h.producerId, h.producerEpoch, firstSeq, lastSeq, where);
      if (dup >= 0) return { baseOffset: dup, logAppendTime: -1, logStartOffset: this.start };
    }
    // The header fields patched below live outside the CRC; the bytes are written out at once
    // and not kept, so a caller that owns them (a Produce request frame) needs no copy.
    const stored = opts.owned ? batch : batch.slice();
    const base = this.next;
    setBaseOffset(stored, base);
    setPartitionLeaderEpoch(stored, LEADER_EPOCH);
    let logAppendTime = -1;
    if (cfg.logAppendTime) {
      logAppendTime = this.now();
      setLogAppendTime(stored, logAppendTime);
      h.maxTimestamp = logAppendTime;
      h.attributes |= Attr.logAppendTime;
    }
    h.baseOffset = base;
    this.write(stored, h, h.attributes & (Attr.transactional | Attr.control), cfg, deferSync);
    if (h.producerId >= 0) {
      this.producers.record(h.producerId, h.producerEpoch, firstSeq, lastSeq, base);
      if (transactional) this.txns.add(h.producerId, base);
    }
    this.wake();
    return { baseOffset: base, logAppendTime, logStartOffset: this.start };
  }

  private write(
    stored: Uint8Array,
    h: BatchHeader,
    flags: number,
    cfg: LogConfig,
    deferSync = false,
  ): void {
    const a = this.active;
    if (
      a.size > 0 &&
      (a.size + stored.length > cfg.segmentBytes || Date.now() - a.openedAt >= cfg.segmentMs)
    ) this.roll();
    this.active.append(stored, h, flags);
    this.next = h.baseOffset + h.lastOffsetDelta + 1;
    if (this.opts.fsync === "interval") {
      this.dirty = true;
      this.durableNext = this.next;
    } else if (!deferSync) {
      this.active.sync();
      this.markDurable(this.next);
    }
  }

  /**
   * Resolves once every append made so far is on disk (fsync "always" group commit). The
   * fdatasync runs off the event loop; appends made while it runs wait for the next one, so
   * one fdatasync covers every append queued behind it. Rejects with KAFKA_STORAGE_ERROR when
   * the fdatasync fails.
   */
  async durable(): Promise<void> {
    const target = this.next;
    while (this.durableNext < target) {
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      const upTo = this.next;
      const seg = this.active;
      this.syncing = seg.syncAsync().then(
        () => this.markDurable(upTo),
        (e) => {
          // A roll or close sealed (fdatasync'ed) the segment meanwhile: the data is durable.
          if (seg !== this.active || this.closed) return this.markDurable(upTo);
          throw new KafkaError(
            ErrorCode.KAFKA_STORAGE_ERROR,
            `fdatasync of ${seg.logPath}: ${e instanceof Error ? e.message : e}`,
          );
        },
      ).finally(() => this.syncing = null);
      await this.syncing;
    }
  }

  private markDurable(upTo: number): void {
    if (upTo <= this.durableNext) return;
    this.durableNext = upTo;
    this.txns.durableUpTo(upTo);
    this.wake();
  }

  /** Closes the active segment (index flushed, fsynced) and starts a new one at the HWM. */
  roll(): void {
    if (this.active.count === 0) return;
    const old = this.active;
    if (this.opts.fsync === "always") old.seal();
    else {
      old.sealAsync().catch((e) => {
        // close() or compaction closed the file meanwhile (they sync or rewrite it).
        if (!this.closed && this.segments.includes(old)) {
          this.opts.logger.error(`fdatasync of ${old.logPath} on roll: ${(e as Error).message}`);
        }
      });
    }
    this.markDurable(this.next);
    this.segments.push(Segment.create(this.dir, this.next));
  }

  /** Wakes fetches parked on this partition. */
  wake(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w();
  }

  /**
   * Whole stored batches from the one containing `fetchOffset`: at least one batch, then as
   * many as fit in `maxBytes`, never crossing the HWM (or the LSO with isolation 1).
   */
  read(fetchOffset: number, maxBytes: number, isolation: 0 | 1): ReadResult {
    const { size, copyTo, ...rest } = this.locate(fetchOffset, maxBytes, isolation);
    const records = new Uint8Array(size);
    copyTo(records);
    return { records, ...rest };
  }

  /**
   * {@link read} without reading: where the batches are, so a Fetch can read them straight
   * into its response buffer (one copy from the page cache, no intermediate buffer).
   */
  locate(fetchOffset: number, maxBytes: number, isolation: 0 | 1): ReadPlan {
    this.ensureOpen();
    if (fetchOffset < this.start || fetchOffset > this.next) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `${this.label}: offset ${fetchOffset} is outside [${this.start}, ${this.next}]`,
      );
    }
    const lso = this.lastStableOffset;
    const planned = planBatches(
      this.segments,
      fetchOffset,
      maxBytes,
      isolation === 1 ? lso : this.durableNext,
    );
    return {
      size: planned.size,
      copyTo: planned.copyTo,
      stream: planned.stream,
      highWatermark: this.durableNext,
      lastStableOffset: lso,
      logStartOffset: this.start,
      abortedTransactions: isolation === 1 && planned.size > 0
        ? this.txns.overlapping(fetchOffset, planned.end)
        : [],
    };
  }

  /** Earliest offset (>= log start) whose record timestamp is >= ts, or null. */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | null {
    this.ensureOpen();
    return offsetForTimestamp(this.segments, this.start, ts);
  }

  /** Moves the log start forward (-1 = HWM), deleting whole segments below it. */
  deleteRecords(beforeOffset: number): number {
    this.ensureOpen();
    const target = beforeOffset === -1 ? this.durableNext : beforeOffset;
    if (target < 0 || target > this.next) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `${this.label}: delete-records offset ${beforeOffset} is outside [0, ${this.next}]`,
      );
    }
    if (target > this.start) this.advanceStart(target);
    return this.start;
  }

  /** Sets the log start, persists it, and drops closed segments entirely below it. */
  advanceStart(offset: number): void {
    this.start = offset;
    writeFileAtomic(join(this.dir, LOG_START_FILE), String(offset));
    while (this.segments.length > 1 && this.segments[0].nextOffset <= this.start) {
      this.segments.shift()!.delete();
    }
    this.txns.prune(this.start);
  }

  /**
   * Writes a COMMIT/ABORT marker for the producer and closes its transaction here. With
   * `deferSync` (fsync "always"), await {@link durable} before reporting the transaction done.
   */
  appendControl(
    producerId: number,
    producerEpoch: number,
    commit: boolean,
    deferSync = false,
  ): number {
    this.ensureOpen();
    const known = this.producers.epochOf(producerId);
    if (known !== undefined && producerEpoch < known) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `${this.label}: marker epoch ${producerEpoch} for producer ${producerId} is older than ${known}`,
      );
    }
    const base = this.next;
    const stored = buildControlBatch({
      producerId,
      producerEpoch,
      commit,
      baseOffset: base,
      timestamp: this.now(),
    });
    setPartitionLeaderEpoch(stored, LEADER_EPOCH);
    const h = readBatchHeader(stored);
    this.write(stored, h, flagsFor(h, stored), this.opts.config(), deferSync);
    const first = this.closeTxn(producerId, producerEpoch, base, !commit);
    if (first !== undefined && base >= this.durableNext) {
      this.txns.holdUntilDurable(producerId, first, base);
    }
    this.wake();
    return base;
  }

  /**
   * Replaces a closed segment with its compacted rewrite (`Segment.rewrite`, written and
   * fdatasync'ed by the caller), or deletes it when `fresh` is null (nothing survived).
   * Readers streaming from the old file keep reading it (see `Segment.openReader`). The new
   * index is fdatasync'ed at once with `blocking`, else on a worker thread.
   */
  replaceSegment(old: Segment, fresh: Segment | null, blocking = false): void {
    const at = this.segments.indexOf(old);
    if (at < 0 || at === this.segments.length - 1) {
      throw new Error(`${this.label}: only a closed segment can be replaced`);
    }
    if (fresh === null) {
      this.segments.splice(at, 1);
      old.deleteInBackground();
      return;
    }
    fresh.install(old);
    this.segments[at] = fresh;
    if (blocking) return fresh.seal();
    // Its log is already on disk; the index's fdatasync runs off the event loop.
    fresh.sealAsync().catch((e) => {
      if (!this.closed && this.segments.includes(fresh)) {
        this.opts.logger.error(`fdatasync of ${fresh.logPath}: ${(e as Error).message}`);
      }
    });
  }

  /** Whether the producer has an ongoing transaction in this partition. */
  hasOngoingTxn(producerId: number): boolean {
    return this.txns.has(producerId);
  }

  /** Background fsync (interval mode) and index flush. */
  flush(): void {
    if (this.closed || !this.dirty) return;
    this.dirty = false;
    this.active.sync();
  }

  /** Like {@link flush} but the fdatasync runs off the event loop (interval mode). */
  async flushAsync(): Promise<void> {
    if (this.closed || !this.dirty) return;
    this.dirty = false;
    await this.active.syncAsync();
  }

  /** Flushes, fsyncs and closes every segment; wakes parked fetches. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.segments) {
      try {
        // The active segment, and rolled ones whose background seal has not finished.
        if (s === this.active || s.sealing) s.seal();
      } finally {
        s.close();
      }
    }
    this.wake();
  }

  /** Closes and removes the partition directory. */
  destroy(): void {
    this.close();
    Deno.removeSync(this.dir, { recursive: true });
  }
}
