/**
 * Exactly-once: one transactional producer per input partition (Kafka Streams' EOS v1, "one
 * transactional id per task"). Everything derived from one input partition (outputs,
 * changelog records, dead letters, its offset commit) goes into that partition's
 * transaction, whose id is derived from the group, topic and partition, never from the
 * instance. So whoever owns the partition next calls InitProducerId with the same id, which:
 *
 * - aborts the previous owner's open transaction (its outputs are never read_committed);
 * - fences the previous owner: its later sends, offset commits and EndTxn fail, so a replica
 *   that lost the partition (or a killed one's zombie) can never commit past the new owner.
 *
 * The new owner then reads the committed offset (no other producer can commit offsets of that
 * partition any more, so the read is stable) and seeks there. This needs nothing from the
 * client beyond InitProducerId and TxnOffsetCommit v0 (kafkajs), and no generation checks.
 *
 * @module
 */

import type {
  Producer as KafkaProducer,
  ProducerRecord,
  RecordMetadata,
  Transaction,
} from "kafkajs";
import type { Logger } from "../../util/log.ts";
import { BatchingProducer } from "./producer.ts";
import type { Output } from "./_native_output.ts";

/** The transactional id of an input partition: stable across instances and restarts. */
export function partitionTransactionalId(group: string, topic: string, partition: number): string {
  return `${group}-${topic}-${partition}`;
}

/**
 * The transaction of one input partition, as the run loop sees it: on kafkajs
 * ({@link PartitionTxn}) or on the toolkit's client (`_native_partition_txn.ts`).
 */
export interface PartitionTransaction {
  readonly topic: string;
  readonly partition: number;
  /** Outputs of this partition (sent through its open transaction). */
  readonly batching: Output;
  /** See {@link PartitionTxn.next}. */
  next: number | null;
  /** Set when a send or commit failed: the work since the last commit is void. */
  failed: Error | null;
  /** True while the open transaction may hold outputs. */
  readonly open: boolean;
  /** Sends a record (a changelog chunk) in the open transaction; resolves once acknowledged. */
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  /** Commits the open transaction with the input offset `offset` of `group`, if given. */
  commit(group: string, offset: number | undefined): Promise<void>;
  /** Aborts the open transaction (best effort) and closes; the partition is given up. */
  close(logger: Logger): Promise<void>;
}

/** The transaction of one input partition, between two commits. */
export class PartitionTxn implements PartitionTransaction {
  /** Outputs of this partition (sent through its open transaction). */
  readonly batching: BatchingProducer;
  /**
   * The next input offset to process: messages below it were processed in this producer
   * epoch (committed or in the open transaction) and are skipped when kafkajs refetches
   * them (it does after a rejoin, from the last committed offset). Null: unknown.
   */
  next: number | null;
  /** Set when a send or commit failed: the work since the last commit is void. */
  failed: Error | null = null;
  #tx: Transaction | null;
  #opening: Promise<Transaction> | null = null;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly producer: KafkaProducer,
    tx: Transaction,
    committed: number,
    logger: Logger,
  ) {
    this.#tx = tx;
    this.next = committed >= 0 ? committed : null;
    this.batching = new BatchingProducer(producer, logger);
    this.batching.sender = {
      sendBatch: async (batch) => {
        const t = await this.#open();
        try {
          return await t.sendBatch(batch);
        } catch (e) {
          this.failed ??= e as Error;
          throw e;
        }
      },
    };
  }

  /**
   * Connects the partition's producer and calls InitProducerId (fencing the previous owner and
   * aborting its open transaction), then reads the committed offset with `committed`.
   */
  static async claim(
    topic: string,
    partition: number,
    producer: KafkaProducer,
    committed: () => Promise<number>,
    logger: Logger,
  ): Promise<PartitionTxn> {
    try {
      await producer.connect();
      // The first transaction() sends InitProducerId; the transaction itself is only local
      // until something is sent in it.
      const tx = await producer.transaction();
      return new PartitionTxn(topic, partition, producer, tx, await committed(), logger);
    } catch (e) {
      await producer.disconnect().catch(() => {});
      throw e;
    }
  }

  /** True while the open transaction may hold outputs. */
  get open(): boolean {
    return this.#tx !== null || this.#opening !== null;
  }

  #open(): Promise<Transaction> {
    if (this.#tx) return Promise.resolve(this.#tx);
    return this.#opening ??= this.producer.transaction().then((tx) => {
      this.#tx = tx;
      return tx;
    }).finally(() => this.#opening = null);
  }

  /** Sends a record (a changelog chunk) in the open transaction. */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.failed) throw this.failed;
    const t = await this.#open();
    try {
      return await t.send(record);
    } catch (e) {
      this.failed ??= e as Error;
      throw e;
    }
  }

  /**
   * Commits the open transaction with the input offset `offset` (next to read) of `group`, if
   * given. Throws (and sets {@link failed}) when fenced or the broker refuses.
   */
  async commit(group: string, offset: number | undefined): Promise<void> {
    if (this.failed) throw this.failed;
    await this.batching.flush();
    if (offset === undefined && !this.open) return;
    const t = await this.#open();
    try {
      if (offset !== undefined) {
        await t.sendOffsets({
          consumerGroupId: group,
          topics: [{
            topic: this.topic,
            partitions: [{ partition: this.partition, offset: String(offset) }],
          }],
        });
      }
      await t.commit();
      this.#tx = null;
    } catch (e) {
      this.failed ??= e as Error;
      throw e;
    }
  }

  /** Aborts the open transaction (best effort) and disconnects; the partition is given up. */
  async close(logger: Logger): Promise<void> {
    // Let in-flight sends finish first, so none lands after the abort marker.
    await this.batching.flush().catch(() => {});
    const t = this.#tx;
    this.#tx = null;
    if (t && !this.failed) {
      await t.abort().catch((e: Error) =>
        logger.debug(
          `aborting the transaction of ${this.topic}[${this.partition}] failed: ${e.message}`,
        )
      );
    }
    await this.producer.disconnect().catch(() => {});
  }
}
