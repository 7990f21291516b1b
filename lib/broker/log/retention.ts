/**
 * Retention for `cleanup.policy=delete`: whole closed segments are deleted, oldest first,
 * when their largest timestamp (or, without timestamps, their file
 * modification time) is older than `retention.ms` or while the partition is larger
 * than `retention.bytes`. The log start offset moves to the first remaining offset.
 *
 * @module
 */
import type { Logger } from "../../util/log.ts";
import type { LogConfig } from "./configs.ts";
import type { PartitionLog } from "./partition_log.ts";

/** Deletes expired segments; returns how many were removed. */
export function applyRetention(
  log: PartitionLog,
  cfg: LogConfig,
  now: number,
  logger: Logger,
): number {
  const segs = log.segments;
  let drop = 0;
  let reason = "";
  if (cfg.retentionMs >= 0) {
    const active = segs[segs.length - 1];
    // An expired active segment is rolled so the next step can delete it (as Kafka does).
    if (active.count > 0 && active.retentionTimestamp < now - cfg.retentionMs) log.roll();
    while (
      drop < log.segments.length - 1 &&
      log.segments[drop].retentionTimestamp < now - cfg.retentionMs
    ) drop++;
    if (drop) {
      const newest = log.segments[drop - 1].retentionTimestamp;
      const when = Math.abs(newest) < 8.64e15 ? new Date(newest).toISOString() : String(newest);
      reason = `newest record time ${when} is older than ` +
        `retention.ms=${cfg.retentionMs}`;
    }
  }
  if (cfg.retentionBytes >= 0) {
    const byTime = drop;
    let size = log.sizeBytes;
    for (let i = 0; i < log.segments.length - 1; i++) size -= i < drop ? log.segments[i].size : 0;
    while (
      drop < log.segments.length - 1 && size - log.segments[drop].size >= cfg.retentionBytes
    ) {
      size -= log.segments[drop].size;
      drop++;
    }
    if (drop > byTime) {
      reason += `${reason ? "; " : ""}partition above retention.bytes=${cfg.retentionBytes}`;
    }
  }
  if (drop === 0) return 0;
  const newStart = log.segments[drop].base;
  if (newStart > log.logStartOffset) {
    logger.info(
      `retention: ${log.label} deletes offsets ${log.logStartOffset}..${newStart - 1} ` +
        `(${drop} segment(s), log start ${log.logStartOffset} -> ${newStart}): ${reason}`,
    );
    log.advanceStart(newStart);
  }
  return drop;
}
