/**
 * Control markers: how a transaction's outcome is written to each of its partitions when it
 * completes.
 *
 * @module
 */
import type { Logger } from "../../util/log.ts";
import { type Txn, unkey } from "./records.ts";

/** The slice of a partition log the coordinator needs (B2's `PartitionLog` fits). */
export interface TxnPartitionLog {
  /** With `deferSync`, the marker is durable once {@link durable} resolves. */
  appendControl(
    producerId: number,
    producerEpoch: number,
    commit: boolean,
    deferSync?: boolean,
  ): number;
  hasOngoingTxn(producerId: number): boolean;
  /** False while deferred appends await their fdatasync (fsync "always"). */
  readonly isDurable?: boolean;
  /** Resolves once every append so far is on disk. */
  durable?(): Promise<void>;
}

/** The slice of the log manager the coordinator needs (B2's `LogManager` fits). */
export interface TxnLogs {
  partition(topic: string, index: number): TxnPartitionLog | undefined;
}

/**
 * Writes the commit or abort marker to every partition of `txn` that still has the producer's
 * transaction open (a finished partition never gets a second marker), and waits until they are
 * durable. Returns how many were written; throws when some could not be, after trying all of
 * them, so that the completion is retried.
 */
export async function writeMarkers(
  logs: TxnLogs,
  txn: Txn,
  commit: boolean,
  logger: Logger,
): Promise<number> {
  let markers = 0;
  let failed = 0;
  // fsync "always": markers in all partitions share group-commit fdatasyncs off the event
  // loop instead of one blocking fdatasync each.
  const syncs: Promise<void>[] = [];
  for (const k of txn.partitions) {
    const [topic, partition] = unkey(k);
    const log = logs.partition(topic, partition);
    if (!log) {
      logger.warn(
        `transaction ${txn.id}: partition ${topic}/${partition} no longer exists, no marker written`,
      );
      continue;
    }
    if (!log.hasOngoingTxn(txn.producerId)) continue;
    try {
      log.appendControl(txn.producerId, txn.epoch, commit, true);
      markers++;
      if (log.durable && log.isDurable === false) {
        syncs.push(
          log.durable().catch((e: unknown) => {
            logger.error(
              `transaction ${txn.id}: ${commit ? "commit" : "abort"} marker for ` +
                `${topic}/${partition} not durable: ${(e as Error).message}`,
            );
          }),
        );
      }
    } catch (e) {
      // One failing partition must not leave the others without their marker; the
      // completion is retried (markers go only where still missing).
      failed++;
      logger.error(
        `transaction ${txn.id}: ${
          commit ? "commit" : "abort"
        } marker for ${topic}/${partition} failed: ${(e as Error).message}`,
      );
    }
  }
  await Promise.all(syncs);
  if (failed > 0) throw new Error(`${failed} control markers not written`);
  return markers;
}
