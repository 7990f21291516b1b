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

/** Applies retention, then compaction when the topic is compacted. */
export function runMaintenance(
  log: PartitionLog,
  cfg: LogConfig,
  now: number,
  logger: Logger,
): void {
  if (cfg.deletePolicy) applyRetention(log, cfg, now, logger);
  if (cfg.compact) compact(log, cfg, now, logger);
}

/** {@link runMaintenance} in slices (see `compactInSlices`) for the background timer. */
export function* runMaintenanceInSlices(
  log: PartitionLog,
  cfg: LogConfig,
  now: number,
  logger: Logger,
): Generator<void, void> {
  if (cfg.deletePolicy) applyRetention(log, cfg, now, logger);
  if (cfg.compact) yield* compactInSlices(log, cfg, now, logger);
}
