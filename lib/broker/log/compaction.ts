/**
 * Log compaction for `cleanup.policy=compact` topics: keep the latest value per key.
 *
 * Only closed segments below the last stable offset (and older than min.compaction.lag.ms)
 * are rewritten. The key map covers every committed record below the LSO, including the
 * active segment, so a key overwritten anywhere later loses its older values. Offsets never
 * change: surviving records keep their offset deltas, rebuilt batches keep their base offset,
 * lastOffsetDelta and producer fields and get a fresh CRC. A batch with no survivors is
 * dropped (never served empty). Tombstones (null value) are dropped once older than
 * delete.retention.ms. Records of aborted transactions are dropped; markers are kept.
 *
 * A pass streams the log twice, one batch at a time: first to build the key map (latest
 * offset per key) over the dirty part, the records after the last pass's end, then to
 * rewrite each cleanable segment, writing its survivors as they come. A record goes
 * when the map has a later offset for its key. Like Kafka's cleaner buffer, the map is
 * bounded ({@link COMPACTION_MAP_BYTES}): when it fills, the pass cleans only the segments it
 * mapped whole and the next pass goes on from there. It is a generator that yields after
 * every {@link COMPACTION_SLICE_BYTES} read or written, so the background maintenance serves
 * requests between slices instead of blocking on a multi-GB changelog. A rewritten segment is
 * written beside the old one (`Segment.rewrite`), fdatasync'ed on a worker thread (the step
 * yields that promise), and renamed over it with the index built while writing; the old
 * file's blocks are freed on a worker thread too. Readers streaming from the old file (Fetch)
 * keep reading it.
 *
 * @module
 */
import type { Logger } from "../../util/log.ts";
import {
  Attr,
  type BatchRecord,
  buildBatch,
  Compression,
  decodeRecords,
  readBatchHeader,
} from "../../kafka/protocol/record_batch.ts";
import type { LogConfig } from "./configs.ts";
import type { PartitionLog } from "./partition_log.ts";
import { Flag, Segment } from "./segment.ts";

/** Rebuilds a batch with only the `kept` records: same offsets and producer fields, new CRC. */
function rebuild(bytes: Uint8Array, kept: BatchRecord[]): Uint8Array {
  const h = readBatchHeader(bytes);
  return buildBatch(
    kept.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: h.baseTimestamp + r.timestampDelta,
      offsetDelta: r.offsetDelta,
    })),
    {
      baseOffset: h.baseOffset,
      partitionLeaderEpoch: h.partitionLeaderEpoch,
      baseTimestamp: h.baseTimestamp,
      maxTimestamp: h.maxTimestamp,
      lastOffsetDelta: h.lastOffsetDelta,
      producerId: h.producerId,
      producerEpoch: h.producerEpoch,
      baseSequence: h.baseSequence,
      transactional: (h.attributes & Attr.transactional) !== 0,
      logAppendTime: (h.attributes & Attr.logAppendTime) !== 0,
      // gzip and zstd are re-encoded as such; snappy/lz4 survivors are stored uncompressed.
      compression: codecOf(h.attributes),
    },
  );
}

/** Per-partition memo of the last pass: where it cleaned up to, and when a tombstone expires. */
const memos = new WeakMap<
  PartitionLog,
  { cleanEnd: number; nextTombstoneExpiry: number }
>();

function codecOf(attributes: number): 0 | 1 | 4 {
  const c = attributes & Attr.compressionMask;
  return c === Compression.gzip ? Compression.gzip : c === Compression.zstd ? Compression.zstd : 0;
}

/**
 * Latest offset per key, in 64 maps picked by a hash of the key: a map of a million keys
 * rehashes all of them at once when it grows (tens of ms), a shard only its 1/64th.
 */
class KeyMap {
  #shards = Array.from({ length: 64 }, () => new Map<string, number>());

  #shard(k: Uint8Array): Map<string, number> {
    let h = 0x811c9dc5; // FNV-1a over at most the last 16 bytes
    for (let i = Math.max(0, k.length - 16); i < k.length; i++) {
      h = Math.imul(h ^ k[i], 0x01000193);
    }
    return this.#shards[(h >>> 0) & 63];
  }

  /** Records `offset` for `key`; returns true when the key is new. */
  set(key: Uint8Array, offset: number): boolean {
    const m = this.#shard(key);
    const k = keyString(key);
    const fresh = !m.has(k);
    m.set(k, offset);
    return fresh;
  }

  get(key: Uint8Array): number | undefined {
    return this.#shard(key).get(keyString(key));
  }
}

function keyString(k: Uint8Array): string {
  let s = "";
  for (let i = 0; i < k.length; i += 4096) {
    s += String.fromCharCode(...k.subarray(i, i + 4096));
  }
  return s;
}

function decodeOrNull(bytes: Uint8Array): BatchRecord[] | null {
  try {
    return decodeRecords(bytes, readBatchHeader(bytes));
  } catch {
    return null;
  }
}

function isAborted(log: PartitionLog, pid: number, offset: number): boolean {
  for (const a of log.aborted) {
    if (a.producerId === pid && a.firstOffset <= offset && offset <= a.lastOffset) return true;
  }
  return false;
}

/** Bytes read between two yields of {@link compactInSlices}. */
export const COMPACTION_SLICE_BYTES = 1024 * 1024;
/** Default bound of the key map (key bytes plus ~64 bytes per entry). */
export const COMPACTION_MAP_BYTES = 64 * 1024 * 1024;
/** Estimated bytes a key map entry costs beyond its key. */
const MAP_ENTRY_OVERHEAD = 64;

/** Stats of one compaction pass. */
export interface CompactionStats {
  segmentsRewritten: number;
  recordsRemoved: number;
  batchesDropped: number;
}

/** Compacts the partition's cleanable segments once, all at once (tests, shutdown). */
export function compact(
  log: PartitionLog,
  cfg: LogConfig,
  now: number,
  logger: Logger,
  maxMapBytes = COMPACTION_MAP_BYTES,
): CompactionStats {
  const steps = compactInSlices(log, cfg, now, logger, maxMapBytes, true);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * {@link compact} as slices: the caller may run other work between two `next()` calls, and
 * must await a step's value when it is a promise (an fdatasync on a worker thread; with
 * `blocking`, fdatasyncs block instead and no step yields one). The log may take appends
 * meanwhile; a segment that left the log (DeleteRecords, deletion) is skipped. Stopping the
 * generator (`return()`) removes an unfinished rewrite.
 */
export function* compactInSlices(
  log: PartitionLog,
  cfg: LogConfig,
  now: number,
  logger: Logger,
  maxMapBytes = COMPACTION_MAP_BYTES,
  blocking = false,
): Generator<void | Promise<unknown>, CompactionStats> {
  const stats: CompactionStats = { segmentsRewritten: 0, recordsRemoved: 0, batchesDropped: 0 };
  const lso = log.lastStableOffset;
  const segs = log.segments;
  // Cleanable: closed, entirely below the LSO, and past the compaction lag.
  let cleanable = 0;
  while (
    cleanable < segs.length - 1 &&
    segs[cleanable].nextOffset <= lso &&
    segs[cleanable].maxTimestamp <= now - cfg.minCompactionLagMs
  ) cleanable++;
  if (cleanable === 0) return stats;

  // Kafka's trigger: enough dirty (never compacted) bytes among the cleanable segments, or a
  // tombstone due for removal. Keeps busy changelogs from being rescanned on every tick.
  const memo = memos.get(log);
  if (memo && now < memo.nextTombstoneExpiry) {
    let dirty = 0;
    let total = 0;
    for (let i = 0; i < cleanable; i++) {
      total += segs[i].size;
      if (segs[i].nextOffset > memo.cleanEnd) dirty += segs[i].size;
    }
    if (dirty === 0 || dirty / total < cfg.minCleanableDirtyRatio) return stats;
  }

  // Snapshot: replaceSegment may remove emptied segments from log.segments, and appends may
  // roll new ones while we yield.
  let targets = segs.slice(0, cleanable);
  const scanned = segs.slice();
  // The map starts where the last pass ended: older records were deduplicated then.
  const dirtyFrom = memo?.cleanEnd ?? 0;
  let mapBytes = 0;
  let sinceYield = 0;

  // Latest offset per key over all committed data below the LSO (pass 1).
  const latest = new KeyMap();
  for (let si = 0; si < scanned.length; si++) {
    const s = scanned[si];
    if (s.nextOffset <= dirtyFrom) continue;
    if (mapBytes > maxMapBytes && si > 0) {
      // Full: clean what was mapped whole (never nothing: segment 0 was), the rest next pass.
      cleanable = Math.min(cleanable, si);
      targets = targets.slice(0, cleanable);
      break;
    }
    for (let i = 0; i < s.count; i++) {
      const flags = s.flagsAt(i);
      const base = s.baseAt(i);
      if (base >= lso) break;
      if (s.lastAt(i) < dirtyFrom) continue;
      if ((flags & Flag.control) !== 0) continue;
      if ((flags & Flag.transactional) !== 0 && isAborted(log, s.pidAt(i), base)) continue;
      if (!log.segments.includes(s)) break;
      const bytes = s.read(s.posAt(i), s.sizeAt(i));
      const recs = decodeOrNull(bytes); // undecodable codec: kept verbatim, contributes no keys
      if (recs) {
        for (const r of recs) {
          if (!r.key) continue;
          if (latest.set(r.key, r.offset)) mapBytes += r.key.length + MAP_ENTRY_OVERHEAD;
        }
      }
      sinceYield += bytes.length;
      if (sinceYield >= COMPACTION_SLICE_BYTES) {
        sinceYield = 0;
        yield;
      }
    }
  }

  const cleanEnd = targets[cleanable - 1].nextOffset;
  const tombstoneHorizon = now - cfg.deleteRetentionMs;
  let nextTombstoneExpiry = Infinity;
  // Pass 2: each segment with something to drop is rewritten beside the old one, a batch at
  // a time (the batches before the first change are copied then), fdatasync'ed, and renamed
  // over it; between slices the rewrite's index is flushed too, so no step writes much.
  for (let si = 0; si < cleanable; si++) {
    const s = targets[si];
    let rw: Segment | null = null;
    const write = function* (bytes: Uint8Array, flags: number) {
      rw!.append(bytes, readBatchHeader(bytes), flags);
      sinceYield += bytes.length;
      if (sinceYield >= COMPACTION_SLICE_BYTES) {
        sinceYield = 0;
        rw!.flushIndex();
        yield;
      }
    };
    const begin = function* (upTo: number) {
      rw = Segment.rewrite(log.dir, s.base);
      for (let k = 0; k < upTo; k++) {
        if (!log.segments.includes(s)) return;
        sinceYield += s.sizeAt(k);
        yield* write(s.read(s.posAt(k), s.sizeAt(k)), s.flagsAt(k));
      }
    };
    try {
      let gone = false;
      for (let i = 0; i < s.count; i++) {
        if (!log.segments.includes(s)) {
          gone = true;
          break;
        }
        const flags = s.flagsAt(i);
        const control = (flags & Flag.control) !== 0;
        const drop = !control && (flags & Flag.transactional) !== 0 &&
          isAborted(log, s.pidAt(i), s.baseAt(i));
        if (drop) {
          if (!rw) yield* begin(i);
          stats.batchesDropped++;
          continue;
        }
        const bytes = s.read(s.posAt(i), s.sizeAt(i));
        sinceYield += bytes.length;
        if (sinceYield >= COMPACTION_SLICE_BYTES) {
          sinceYield = 0;
          yield;
        }
        const recs = control ? null : decodeOrNull(bytes);
        const kept = recs?.filter((r) => {
          if (r.key === null) return false;
          const later = latest.get(r.key);
          return (later === undefined || later <= r.offset) &&
            !(r.value === null && r.timestamp < tombstoneHorizon);
        });
        for (const r of kept ?? []) {
          if (r.value === null) {
            nextTombstoneExpiry = Math.min(
              nextTombstoneExpiry,
              r.timestamp + cfg.deleteRetentionMs,
            );
          }
        }
        if (!recs || !kept || kept.length === recs.length) {
          if (rw) yield* write(bytes, flags);
          continue;
        }
        if (!rw) yield* begin(i);
        stats.recordsRemoved += recs.length - kept.length;
        if (kept.length === 0) {
          stats.batchesDropped++;
          continue;
        }
        yield* write(rebuild(bytes, kept), flags);
      }
      if (!rw || gone || !log.segments.includes(s)) continue;
      const fresh: Segment = rw;
      if (fresh.count === 0) {
        fresh.discard();
        rw = null;
        log.replaceSegment(s, null);
      } else {
        fresh.flushIndex();
        if (blocking) fresh.sync();
        else {
          let failed: unknown = null;
          yield fresh.syncAsync().catch((e) => failed = e);
          if (failed !== null) throw failed;
          if (!log.segments.includes(s)) continue;
        }
        rw = null;
        log.replaceSegment(s, fresh, blocking);
      }
      stats.segmentsRewritten++;
    } finally {
      // Not installed (the segment left the log, the pass was stopped, or it failed).
      (rw as Segment | null)?.discard();
    }
  }
  memos.set(log, { cleanEnd, nextTombstoneExpiry: nextTombstoneExpiry + 1 });
  if (stats.segmentsRewritten) {
    logger.info(
      `compaction: ${log.label} rewrote ${stats.segmentsRewritten} segment(s), removed ` +
        `${stats.recordsRemoved} record(s), dropped ${stats.batchesDropped} batch(es)`,
    );
  }
  return stats;
}
