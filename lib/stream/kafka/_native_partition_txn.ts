/**
 * An input partition's transaction on the toolkit's own client
 * (`lib/kafka/client/transaction.ts`), the default (`SA_KAFKA_PRODUCER=kafkajs` or `kafkajs-eos`
 * goes back to {@link PartitionTxn}). Same design
 * as {@link PartitionTxn} (docs/exactly_once.md: one transactional id per input partition,
 * fencing on claim), and the offsets go with the consumer's group metadata, so TxnOffsetCommit
 * v3 also refuses a replica that left the generation (KIP-447).
 *
 * @module
 */

import type { ProducerRecord, RecordMetadata } from "kafkajs";
import type { Logger } from "../../util/log.ts";
import type { Cluster } from "../../kafka/client/cluster.ts";
import { type GroupMetadata, TransactionalProducer } from "../../kafka/client/transaction.ts";
import { appendRecord, baseOffsets, NativeOutput, type OutputProducer } from "./_native_output.ts";
import type { PartitionTransaction } from "./_partition_txn.ts";

/** One input partition's transaction on a {@link TransactionalProducer}. */
export class NativePartitionTxn implements PartitionTransaction {
  readonly batching: NativeOutput;
  next: number | null;
  failed: Error | null = null;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    readonly producer: TransactionalProducer,
    committed: number,
    readonly groupMetadata: () => GroupMetadata,
  ) {
    this.next = committed >= 0 ? committed : null;
    const txn = this.#begin;
    const target: OutputProducer = {
      get pending() {
        return producer.pending;
      },
      append(topic, partition, key, value, headers, timestamp) {
        txn();
        producer.append(topic, partition, key, value, headers, timestamp);
      },
      flush: () => producer.flush().catch((e) => this.#fail(e)),
      // A failed batch cannot be skipped inside a transaction: the transaction aborts.
      recover: () => Promise.resolve(),
      ready: (n) => producer.ready(n).catch((e) => this.#fail(e)),
      lastOffset: (t, p) => producer.lastOffset(t, p),
    };
    this.batching = new NativeOutput(target);
  }

  /**
   * Calls InitProducerId with the partition's transactional id (fencing the previous owner and
   * aborting its open transaction), then reads the committed offset with `committed`.
   */
  static async claim(
    cluster: Cluster,
    transactionalId: string,
    topic: string,
    partition: number,
    committed: () => Promise<number>,
    groupMetadata: () => GroupMetadata,
  ): Promise<NativePartitionTxn> {
    const producer = await TransactionalProducer.create(cluster, {
      transactionalId,
      allowAutoTopicCreation: false,
    });
    try {
      return new NativePartitionTxn(topic, partition, producer, await committed(), groupMetadata);
    } catch (e) {
      await producer.close();
      throw e;
    }
  }

  #begin = (): void => {
    if (this.producer.state === "ready") this.producer.beginTransaction();
  };

  #fail(e: unknown): never {
    this.failed ??= e as Error;
    throw e;
  }

  get open(): boolean {
    const s = this.producer.state;
    return s === "open" || s === "abortable";
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.failed) throw this.failed;
    let parts = new Map<number, number>();
    try {
      this.#begin();
      parts = appendRecord(this.producer, record);
      await this.producer.flush();
    } catch (e) {
      this.#fail(e);
    }
    // Only this transaction writes these changelog partitions: their last acknowledged offset
    // is this chunk's last record.
    return baseOffsets(this.producer, record.topic, parts);
  }

  async commit(group: string, offset: number | undefined): Promise<void> {
    if (this.failed) throw this.failed;
    await this.batching.flush().catch((e) => this.#fail(e));
    if (offset === undefined && !this.open) return;
    try {
      this.#begin();
      if (offset !== undefined) {
        const meta = this.groupMetadata();
        await this.producer.sendOffsets(
          { ...meta, groupId: group },
          [{ topic: this.topic, partition: this.partition, offset }],
        );
      }
      await this.producer.commit();
    } catch (e) {
      this.#fail(e);
    }
  }

  async close(logger: Logger): Promise<void> {
    await this.producer.flush().catch(() => {});
    if (this.open) {
      await this.producer.abort().catch((e: Error) =>
        logger.debug(
          `aborting the transaction of ${this.topic}[${this.partition}] failed: ${e.message}`,
        )
      );
    }
    await this.producer.close();
  }
}
