/**
 * The run loop's input through the project's own consumer (`lib/kafka/client/consumer.ts`),
 * chosen with `SA_KAFKA_CLIENT=native`: static membership (`SA_GROUP_INSTANCE_ID`), the
 * commit before a rebalance awaited before the member rejoins, stable offsets, and batches
 * walked in place.
 *
 * @module
 */

import {
  Consumer,
  type ConsumerBatch,
  type ConsumerCluster,
  type ConsumerOptions,
} from "../../kafka/client/consumer.ts";
import type { GroupMetadata } from "../../kafka/client/transaction.ts";
import type { MessageHeaders } from "../types.ts";
import type { InputBatch, InputConsumer, InputHandlers } from "./_input.ts";
import { toBuffer } from "./_kafka.ts";

export class NativeInput implements InputConsumer {
  #consumer: Consumer | null = null;
  #stopping = false;

  constructor(
    readonly cluster: ConsumerCluster & { close(): void },
    readonly opts: Omit<ConsumerOptions, "autoOffsetReset">,
  ) {}

  async start(topics: string[], fromBeginning: boolean, h: InputHandlers): Promise<void> {
    // Fail fast (with the run loop's "start a broker" advice) when nothing answers.
    await this.cluster.groupCoordinator(this.opts.groupId);
    const consumer = new Consumer(this.cluster, {
      ...this.opts,
      autoOffsetReset: fromBeginning ? "earliest" : "latest",
    });
    this.#consumer = consumer;
    consumer.run(topics, {
      // As with kafkajs, a failed checkpoint here is reported, and the rejoin goes ahead (the
      // next checkpoint meets the same failure and handles it).
      revoking: () =>
        h.rebalancing().catch((e) => h.warn(`checkpoint before rebalance failed: ${e.message}`)),
      assigned: (a) => {
        const next = new Set<string>();
        for (const [t, ps] of a) for (const p of ps) next.add(`${t}:${p}`);
        return h.assigned(next);
      },
      batch: (b) => h.batch(new NativeBatch(b, () => !this.#stopping)),
      warn: (m) => h.warn(m),
    }).catch((e) => h.fatal(e));
  }

  seek(topic: string, partition: number, offset: number): void {
    this.#consumer?.seek(topic, partition, offset);
  }

  pause(topics: Array<{ topic: string }>): void {
    this.#consumer?.pause(topics);
  }

  resume(topics: Array<{ topic: string }>): void {
    this.#consumer?.resume(topics);
  }

  async commit(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    await this.#consumer!.commit(offsets);
  }

  committed(topic: string, partition: number): Promise<number> {
    return this.#consumer!.committed(topic, partition);
  }

  groupMetadata(): GroupMetadata {
    return this.#consumer!.groupMetadata();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#consumer?.stop({ leave: true });
    this.cluster.close();
  }
}

/** A native batch as an {@link InputBatch}: the cursor's fields, read in place. */
class NativeBatch implements InputBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  readonly firstOffset: number;

  constructor(readonly b: ConsumerBatch, readonly running: () => boolean) {
    this.topic = b.topic;
    this.partition = b.partition;
    this.highWatermark = b.highWatermark;
    this.firstOffset = b.firstOffset;
  }
  next(): boolean {
    return this.b.records.next();
  }
  get offset(): number {
    return this.b.records.offset;
  }
  get timestamp(): number {
    return this.b.records.timestamp;
  }
  get key(): Uint8Array | null {
    return this.b.records.key;
  }
  get value(): Uint8Array | null {
    return this.b.records.value;
  }
  headers(): MessageHeaders {
    const c = this.b.records;
    if (c.headerCount === 0) return {};
    // Buffers, as kafkajs hands them (apps call toString() on them).
    const out: MessageHeaders = {};
    for (const [k, v] of Object.entries(c.headers())) out[k] = toBuffer(v)!;
    return out;
  }
  isRunning(): boolean {
    return this.running();
  }
  isStale(): boolean {
    return this.b.isStale();
  }
  resolveOffset(offset: number): void {
    this.b.resolveOffset(offset);
  }
  heartbeat(): Promise<void> {
    // The consumer heartbeats on its own schedule, on the coordinator's connection.
    return Promise.resolve();
  }
}
