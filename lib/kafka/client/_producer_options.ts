/**
 * The producer's options and record shape (re-exported by `producer.ts`).
 *
 * @module
 */
import type { CompressionName, RecordBytes, RecordHeaders } from "./_batch_builder.ts";

/** Options of `Producer.create`. */
export interface ProducerOptions {
  /** -1 (all in-sync replicas, default), 1 (leader) or 0 (no answer; not idempotent). */
  acks?: -1 | 0 | 1;
  /** Producer id and sequence numbers, so retries never duplicate. Default true (acks -1). */
  idempotent?: boolean;
  /** Default "none". */
  compression?: CompressionName;
  /** How long a partition's batch may wait for more records once it could be sent. Default 0. */
  lingerMs?: number;
  /** A batch is closed once it reaches this size. Default 256 KiB. */
  batchBytes?: number;
  /** Batches in flight per partition. Default 5 (the most the broker deduplicates). */
  maxInFlight?: number;
  /** How long the broker may take to replicate before answering. Default 30000. */
  ackTimeoutMs?: number;
  /** How long a record may take, retries included, before the producer fails. Default 120000. */
  deliveryTimeoutMs?: number;
  /** Ask the broker to create unknown topics (its auto-create setting decides). Default true. */
  allowAutoTopicCreation?: boolean;
}

/** A record for `Producer.send`. */
export interface ProducerRecord {
  key?: RecordBytes;
  value: RecordBytes;
  headers?: RecordHeaders;
  /** Explicit partition; default by key hash (Java-compatible), else sticky. */
  partition?: number;
  /** ms since the epoch; default now. */
  timestamp?: number;
}

/** Internal hooks of the transactional producer (transaction.ts). */
export interface TransactionHooks {
  readonly transactionalId: string;
  /** Resolves once every given partition is part of the open transaction. */
  addPartitions(partitions: ReadonlyArray<readonly [string, number]>): Promise<void>;
  isAdded(topic: string, partition: number): boolean;
}
