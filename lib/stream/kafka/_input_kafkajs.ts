/**
 * The run loop's input through a kafkajs consumer (the default client; see `_input.ts`).
 * kafkajs does not await its rebalance listeners: the commit on REBALANCING may finish after
 * the member rejoined (docs/exactly_once.md explains why exactly-once holds anyway).
 *
 * @module
 */

import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from "kafkajs";
import type { MessageHeaders } from "../types.ts";
import type { ConsumerTuning } from "../application.ts";
import { advertisingRoundRobin } from "./_assigner.ts";
import type { InputBatch, InputConsumer, InputHandlers } from "./_input.ts";
import { StreamError } from "../errors.ts";

export class KafkajsInput implements InputConsumer {
  readonly #consumer: Consumer;
  #admin: Admin | null = null;
  #connected = false;

  constructor(
    readonly kafka: Kafka,
    readonly groupId: string,
    tuning: ConsumerTuning,
    advertisedUrl: () => string | undefined,
  ) {
    this.#consumer = kafka.consumer({
      groupId,
      sessionTimeout: tuning.sessionTimeout ?? 30_000,
      heartbeatInterval: tuning.heartbeatInterval ?? 3000,
      rebalanceTimeout: tuning.rebalanceTimeout ?? 60_000,
      maxBytesPerPartition: tuning.maxBytesPerPartition ?? 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      minBytes: 1,
      maxWaitTimeInMs: tuning.maxWaitTimeInMs ?? 250,
      allowAutoTopicCreation: false,
      partitionAssigners: [advertisingRoundRobin(advertisedUrl)],
      retry: { retries: 5 },
    });
  }

  async start(topics: string[], fromBeginning: boolean, h: InputHandlers): Promise<void> {
    await this.#consumer.connect();
    this.#connected = true;
    await this.#consumer.subscribe({ topics, fromBeginning });
    const c = this.#consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      const next = new Set<string>();
      for (const [topic, parts] of Object.entries(e.payload.memberAssignment)) {
        for (const p of parts as number[]) next.add(`${topic}:${p}`);
      }
      h.assigned(next).catch((err) => h.fatal(err));
    });
    // Before rejoining, commit what was processed so the next owner starts after it (the
    // broker still accepts the current generation's commits while the group prepares).
    c.on(c.events.REBALANCING, () => {
      h.rebalancing().catch((e) => h.warn(`checkpoint before rebalance failed: ${e.message}`));
    });
    c.on(c.events.CRASH, (e) => {
      if (!e.payload.restart) {
        h.fatal(
          new StreamError(`consumer crashed: ${e.payload.error.message}`, {
            cause: e.payload.error,
          }),
        );
      } else {
        h.warn(`consumer error, restarting: ${e.payload.error.message}`);
      }
    });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      // An error here (a failed checkpoint) is fatal: handing it to kafkajs would retry the
      // batch past offsets already resolved.
      eachBatch: (payload) =>
        payload.batch.messages.length === 0
          ? Promise.resolve()
          : h.batch(new KafkajsBatch(payload)).catch((e) => h.fatal(e)),
    });
  }

  seek(topic: string, partition: number, offset: number): void {
    this.#consumer.seek({ topic, partition, offset: String(offset) });
  }

  pause(topics: Array<{ topic: string }>): void {
    this.#consumer.pause(topics);
  }

  resume(topics: Array<{ topic: string }>): void {
    this.#consumer.resume(topics);
  }

  async commit(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    await this.#consumer.commitOffsets(
      offsets.map((p) => ({ topic: p.topic, partition: p.partition, offset: String(p.offset) })),
    );
  }

  async committed(topic: string, partition: number): Promise<number> {
    if (!this.#admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.#admin = admin;
    }
    const res = await this.#admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
    const p = res[0]?.partitions.find((x) => x.partition === partition);
    return p ? Number(p.offset) : -1;
  }

  async stop(): Promise<void> {
    if (this.#connected) await this.#consumer.disconnect().catch(() => {});
    await this.#admin?.disconnect().catch(() => {});
  }
}

/** A kafkajs batch as an {@link InputBatch} cursor. */
class KafkajsBatch implements InputBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  readonly firstOffset: number;
  #i = -1;
  #m!: KafkaMessage;
  readonly #messages: KafkaMessage[];

  constructor(readonly payload: EachBatchPayload) {
    const b = payload.batch;
    this.topic = b.topic;
    this.partition = b.partition;
    this.highWatermark = Number(b.highWatermark);
    this.#messages = b.messages;
    this.firstOffset = Number(b.messages[0].offset);
  }
  next(): boolean {
    if (++this.#i >= this.#messages.length) return false;
    this.#m = this.#messages[this.#i];
    return true;
  }
  get offset(): number {
    return Number(this.#m.offset);
  }
  get timestamp(): number {
    return Number(this.#m.timestamp);
  }
  get key(): Uint8Array | null {
    return this.#m.key;
  }
  get value(): Uint8Array | null {
    return this.#m.value;
  }
  headers(): MessageHeaders {
    return normalizeHeaders(this.#m.headers);
  }
  isRunning(): boolean {
    return this.payload.isRunning();
  }
  isStale(): boolean {
    return this.payload.isStale();
  }
  resolveOffset(offset: number): void {
    this.payload.resolveOffset(String(offset));
  }
  heartbeat(): Promise<void> {
    return this.payload.heartbeat();
  }
}

/** kafkajs repeats a header name as an array; rows carry one value per name (the last). */
function normalizeHeaders(headers: KafkaMessage["headers"]): MessageHeaders {
  if (!headers) return {};
  for (const name in headers) {
    if (Array.isArray(headers[name]) || headers[name] === undefined) {
      const out: MessageHeaders = {};
      for (const [k, v] of Object.entries(headers)) {
        const one = Array.isArray(v) ? v.at(-1) : v;
        if (one !== undefined) out[k] = one;
      }
      return out;
    }
  }
  return headers as MessageHeaders;
}
