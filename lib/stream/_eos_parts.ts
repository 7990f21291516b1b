/**
 * Exactly-once bookkeeping of the run loop: the transaction of each claimed input partition
 * (`kafka/_partition_txn.ts`), how a partition is claimed, dropped and committed, and where its
 * changelog records go. Why this design is correct: docs/exactly_once.md.
 *
 * @module
 */

import type { Producer as KafkaProducer, ProducerRecord } from "kafkajs";
import type { Logger } from "../util/log.ts";
import type { CheckpointParticipants, Position } from "./checkpoint/checkpoint.ts";
import { StreamError } from "./errors.ts";
import {
  type PartitionTransaction,
  partitionTransactionalId,
  PartitionTxn,
} from "./kafka/_partition_txn.ts";
import { NativePartitionTxn } from "./kafka/_native_partition_txn.ts";
import type { Cluster } from "../kafka/client/cluster.ts";
import type { InputConsumer } from "./kafka/_input.ts";

export interface EosDeps {
  group: string;
  logger: Logger;
  /** A kafkajs transactional producer with this id (one input partition's). */
  producer(transactionalId: string): KafkaProducer;
  /** Set: the partitions' transactions go through the toolkit's client on this cluster. */
  native?: Cluster;
  input(): InputConsumer;
  /** Forgets a dropped partition's uncommitted work (checkpoint, state, timers). */
  forget(topic: string, partition: number): Promise<void>;
}

/** The claimed input partitions of an exactly-once run ("topic:partition" → transaction). */
export class EosParts {
  readonly parts = new Map<string, PartitionTransaction>();
  /** Changelog topic → its source topic (changelog partition = input partition). */
  readonly changelogSources = new Map<string, string>();

  constructor(readonly deps: EosDeps) {}

  /**
   * Takes an input partition. InitProducerId with the partition's transactional id fences its
   * previous owner and aborts that owner's open transaction; only then is the committed offset
   * read, and the consumer sought there unless the batch at hand (`firstOffset`) starts there.
   * Null when the broker cannot be reached: the next batch of the partition tries again.
   */
  async claim(
    topic: string,
    partition: number,
    firstOffset?: number,
  ): Promise<PartitionTransaction | null> {
    const tp = `${topic}:${partition}`;
    const { group, logger } = this.deps;
    const id = partitionTransactionalId(group, topic, partition);
    const input = this.deps.input();
    try {
      const committed = () => input.committed(topic, partition);
      const part = this.deps.native
        ? await NativePartitionTxn.claim(
          this.deps.native,
          id,
          topic,
          partition,
          committed,
          () =>
            input.groupMetadata?.() ??
              { groupId: group, generationId: -1, memberId: "", groupInstanceId: null },
        )
        : await PartitionTxn.claim(topic, partition, this.deps.producer(id), committed, logger);
      this.parts.set(tp, part);
      if (part.next !== null && part.next !== firstOffset) input.seek(topic, partition, part.next);
      logger.debug(`claimed ${tp} (transactional id ${id}, committed ${part.next})`);
      return part;
    } catch (e) {
      logger.warn(
        `exactly-once: cannot claim ${tp} yet (${
          (e as Error).message
        }); retrying with its next batch`,
      );
      return null;
    }
  }

  /**
   * Gives up a partition whose transaction failed (fenced by a new owner, or the broker went
   * away): its open transaction is aborted, its uncommitted state changes are dropped, and its
   * checkpoint position forgotten. If it is still ours, its next batch claims it again and
   * resumes from the committed offset; no output past it survives.
   */
  async drop(part: PartitionTransaction, why: string): Promise<void> {
    const tp = `${part.topic}:${part.partition}`;
    if (this.parts.get(tp) === part) this.parts.delete(tp);
    await part.close(this.deps.logger);
    await this.deps.forget(part.topic, part.partition);
    this.deps.logger.warn(`exactly-once: ${tp}: ${why}; its uncommitted work is discarded`);
  }

  /** Closes (aborting its open transaction) a partition that was revoked. */
  async release(tp: string): Promise<void> {
    const part = this.parts.get(tp);
    if (!part) return;
    this.parts.delete(tp);
    await part.close(this.deps.logger);
  }

  /** Closes every partition (shutdown). */
  async closeAll(): Promise<void> {
    for (const part of this.parts.values()) await part.close(this.deps.logger);
    this.parts.clear();
  }

  /** A changelog record goes into its input partition's transaction. */
  changelogSend(record: ProducerRecord) {
    const partition = record.messages[0]?.partition;
    const source = this.changelogSources.get(record.topic);
    const part = this.parts.get(`${source}:${partition}`);
    if (!part) {
      return Promise.reject(
        new StreamError(`exactly-once: no transaction for changelog ${record.topic}[${partition}]`),
      );
    }
    return part.send(record);
  }

  /**
   * The state backend as a checkpoint sees it. A changelog send into a fenced partition's
   * transaction fails the whole prepare: the failed partitions are dropped (their stores close,
   * changes discarded), then the others prepared again (their changes are sent again in the
   * same transactions: a repeated change in a changelog is harmless).
   */
  checkpointState(
    state: CheckpointParticipants["state"],
  ): CheckpointParticipants["state"] {
    return {
      prepareCheckpoint: async (processed) => {
        for (;;) {
          try {
            return await state.prepareCheckpoint(processed);
          } catch (e) {
            const failed = this.failed();
            if (failed.length === 0) throw e;
            for (const p of failed) await this.drop(p, p.failed!.message);
          }
        }
      },
      flush: (committed) => state.flush(committed),
      discard: () => state.discard?.(),
    };
  }

  /** The partitions whose transaction failed. */
  failed(): PartitionTransaction[] {
    return [...this.parts.values()].filter((p) => p.failed);
  }

  /**
   * Commits every partition's transaction with its position, concurrently (each is its own
   * producer). A partition whose transaction fails is dropped (see {@link drop}) before local
   * state is flushed; the others stay committed.
   */
  async commit(positions: Position[]): Promise<void> {
    const offsets = new Map(positions.map((p) => [`${p.topic}:${p.partition}`, p.offset]));
    const failed: [PartitionTransaction, string][] = [];
    await Promise.all([...this.parts].map(async ([tp, part]) => {
      const offset = offsets.get(tp);
      if (part.failed) {
        failed.push([part, part.failed.message]);
        return;
      }
      if (offset === undefined && !part.open) return;
      try {
        await part.commit(this.deps.group, offset);
      } catch (e) {
        failed.push([part, `committing its transaction failed: ${(e as Error).message}`]);
      }
    }));
    for (const [part, why] of failed) await this.drop(part, why);
  }
}
