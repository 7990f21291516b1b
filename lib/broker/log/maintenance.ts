/**
 * Background maintenance of one partition: retention (time and size) for `delete` topics.
 *
 * @module
 */
import type { Logger } from "../../util/log.ts";
import type { LogConfig } from "./configs.ts";
import type { PartitionLog } from "./partition_log.ts";
import { applyRetention } from "./retention.ts";

/** Applies retention, then compaction when the topic is compacted. */
export function runMaintenance(
  log: PartitionLog,
  cfg: LogConfig,
  now: number,
  logger: Logger,
): void {
  if (cfg.deletePolicy) applyRetention(log, cfg, now, logger);
}
