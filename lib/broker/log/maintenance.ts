/**
 * Background maintenance of one partition: retention (time and size) for `delete`
 * topics, then compaction for `compact` topics (both when `compact,delete`).
 *
 * @module
 */
import type { Logger } from "../../util/log.ts";
import type { LogConfig } from "./configs.ts";
import type { PartitionLog } from "./partition_log.ts";
import { applyRetention } from "./retention.ts";
import { compact, compactInSlices } from "./compaction.ts";

/**
 * Which work a pass does: they run on separate timers, as Kafka's retention check
 * (`log.retention.check.interval.ms`) and log cleaner (`log.cleaner.backoff.ms`) do.
 */
export type MaintenanceKind = "retention" | "compaction" | "all";

/** Applies retention, then compaction when the topic is compacted (as `kind` allows). */
export function runMaintenance(
  log: PartitionLog,
  cfg: LogConfig,
  now: number,
  logger: Logger,
  kind: MaintenanceKind = "all",
): void {
  if (cfg.deletePolicy && kind !== "compaction") applyRetention(log, cfg, now, logger);
  if (cfg.compact && kind !== "retention") compact(log, cfg, now, logger);
}

/**
 * {@link runMaintenance} in slices (see `compactInSlices`) for the background timer; a step
 * that yields a promise must be awaited before the next.
 */
export function* runMaintenanceInSlices(
  log: PartitionLog,
  cfg: LogConfig,
  now: number,
  logger: Logger,
  kind: MaintenanceKind = "all",
): Generator<void | Promise<unknown>, void> {
  if (cfg.deletePolicy && kind !== "compaction") applyRetention(log, cfg, now, logger);
  if (cfg.compact && kind !== "retention") yield* compactInSlices(log, cfg, now, logger);
}
