/**
 * What the durable state backend needs from a local store partition beyond
 * {@link StorePartition}: the pending change set (for changelogs), an atomic flush that also
 * records the changelog offset, and bulk writes for recovery.
 *
 * @module
 */

import type { StorePartition } from "./types.ts";

/** One pending change: a value, or `null` for a delete. */
export interface Change {
  key: Uint8Array;
  value: Uint8Array | null;
}

/** A local, durable store partition. */
export interface DurableStorePartition extends StorePartition {
  /** Pending (unflushed) changes, in first-write order. */
  pending(): Iterable<Change>;
  /** Number of pending changes. */
  readonly pendingCount: number;
  /**
   * Atomically persists the pending changes, and the changelog offset they end at when
   * changelogs are on (the next recovery resumes after it).
   */
  flush(changelogOffset?: number): void;
  /** Drops the pending changes (failed or abandoned checkpoint). */
  discard(): void;
  /** Offset of the last changelog record reflected locally; -1 when none. */
  readonly changelogOffset: number;
  /** Writes recovered changes directly (one batch, atomically with the new changelog offset). */
  applyRecovered(changes: Change[], changelogOffset: number): void;
  /** Releases file handles. */
  close(): void;
}

/** Opens a durable store partition at a directory (created when missing). */
export type DurableStoreFactory = (dir: string) => DurableStorePartition;
