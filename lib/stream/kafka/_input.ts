/**
 * The run loop's view of its input consumer, so the loop does not depend on which Kafka client
 * fetches: kafkajs (`_input_kafkajs.ts`) or the project's own client (`_input_native.ts`,
 * `SA_KAFKA_CLIENT=native`). A batch is a cursor: `next()` moves to the next record, whose
 * fields are then read from the batch itself (no object per record).
 *
 * @module
 */

import type { MessageHeaders } from "../types.ts";
import type { GroupMetadata } from "../../kafka/client/transaction.ts";

/** One partition's fetched records, walked with `next()`. */
export interface InputBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  /** The offset of the first record (known before `next()`). */
  readonly firstOffset: number;
  /** Moves to the next record; false at the end of the batch. */
  next(): boolean;
  /** The current record's offset. */
  readonly offset: number;
  /** The current record's timestamp (ms). */
  readonly timestamp: number;
  /** The current record's key bytes (a view: do not keep past the batch). */
  readonly key: Uint8Array | null;
  /** The current record's value bytes (a view: do not keep past the batch). */
  readonly value: Uint8Array | null;
  /** The current record's headers (one value per name, the last). */
  headers(): MessageHeaders;
  /** False once the consumer is stopping. */
  isRunning(): boolean;
  /** True once the partition was sought (or revoked) after this batch was fetched. */
  isStale(): boolean;
  /** Marks records up to `offset` processed (the next fetch starts after it). */
  resolveOffset(offset: number): void;
  /** Tells the group this member is alive (long batches). */
  heartbeat(): Promise<void>;
}

/** What the run loop does when the consumer calls. */
export interface InputHandlers {
  /** One batch (called under the run loop's mutex by the handler itself). */
  batch(batch: InputBatch): Promise<void>;
  /**
   * The member is about to rejoin its group: commit now, so the next owner of a partition
   * starts after it. The native consumer awaits it before rejoining; kafkajs cannot.
   */
  rebalancing(): Promise<void>;
  /** The new generation's partitions ("topic:partition"). */
  assigned(next: Set<string>): Promise<void>;
  /** The consumer failed for good. */
  fatal(error: Error): void;
  /** The consumer hit trouble it retries (logged). */
  warn(message: string): void;
}

/** An input consumer (see the module doc). */
export interface InputConsumer {
  /** Connects, subscribes and starts fetching; returns once running. */
  start(topics: string[], fromBeginning: boolean, handlers: InputHandlers): Promise<void>;
  /** The next offset to process of a partition. */
  seek(topic: string, partition: number, offset: number): void;
  pause(topics: Array<{ topic: string }>): void;
  resume(topics: Array<{ topic: string }>): void;
  /** Commits offsets (next to read) in the member's generation (at-least-once). */
  commit(offsets: { topic: string; partition: number; offset: number }[]): Promise<void>;
  /** The group's committed offset of a partition, -1 when none (exactly-once claims). */
  committed(topic: string, partition: number): Promise<number>;
  /** Stops fetching and leaves the group. */
  stop(): Promise<void>;
  /** The member's generation, for TxnOffsetCommit v3 (the toolkit's consumer only). */
  groupMetadata?(): GroupMetadata;
}
