/**
 * The run loop's outputs through the toolkit's own producer (`lib/kafka/client/producer.ts`)
 * for at-least-once apps (`SA_KAFKA_PRODUCER=kafkajs` goes back to kafkajs; exactly-once
 * apps: `_native_partition_txn.ts`): a row is serialized and
 * appended straight into its partition's record batch (no message object per row). Same
 * contract as {@link BatchingProducer}: `produce` never throws a delivery failure, `flush`
 * reports it (and keeps reporting it until `dismissError`).
 *
 * @module
 */

import type { IHeaders, Message, ProducerRecord, RecordMetadata } from "kafkajs";
import { Producer as ClientProducer } from "../../kafka/client/producer.ts";
import { Cluster } from "../../kafka/client/cluster.ts";
import type { ClientSecurity } from "./security.ts";
import { readEnv } from "./_kafka.ts";
import { ProducerError } from "../errors.ts";
import type { Topic } from "../topic.ts";
import type { MessageHeaders } from "../types.ts";
import { serializeRow } from "./producer.ts";

/** What the run loop writes its outputs to (a {@link BatchingProducer} has this shape). */
export interface Output {
  readonly pending: number;
  produce(
    topic: Topic,
    value: unknown,
    key: unknown,
    timestamp: number | undefined,
    headers: MessageHeaders | undefined,
  ): void;
  add(topic: string, message: Message): void;
  flush(): Promise<void>;
  dismissError(): void | Promise<void>;
  backpressure(limit?: number): Promise<void>;
}

function hasAny(headers: MessageHeaders | undefined): boolean {
  if (!headers) return false;
  for (const _ in headers) return true;
  return false;
}

/** The producer `SA_KAFKA_PRODUCER` asks for: "kafkajs", else "native" (the default). */
export function kafkaProducerChoice(): "native" | "kafkajs" {
  return readEnv("SA_KAFKA_PRODUCER") === "kafkajs" ? "kafkajs" : "native";
}

/**
 * Records above this are refused here, alone, as the Java client's `max.request.size` does: in
 * a batch the broker would refuse (message.max.bytes, 1 MiB by default) the whole batch, and
 * take the rows sharing it down with the oversized one.
 */
const MAX_RECORD_BYTES = 1024 * 1024 - 512;

function size(b: Uint8Array | string | null | undefined): number {
  return b == null ? 0 : typeof b === "string" ? b.length * 3 : b.length;
}

/** What a {@link NativeOutput} appends to: a producer, or an open transaction's adapter. */
export interface OutputProducer {
  readonly pending: number;
  append(
    topic: string,
    partition: number | null,
    key: Uint8Array | string | null,
    value: Uint8Array | string | null,
    headers: MessageHeaders | undefined,
    timestamp: number,
  ): void;
  flush(): Promise<void>;
  recover(): Promise<void>;
  ready(maxPending: number): Promise<void>;
  /** The last acknowledged offset of a partition written by this producer (-1: none). */
  lastOffset(topic: string, partition: number): number;
}

/**
 * The producer of exactly-once apps' partition transactions: the toolkit's (default), or
 * kafkajs with `SA_KAFKA_PRODUCER=kafkajs` (the whole run on kafkajs) or `kafkajs-eos` (only
 * the transactions).
 */
export function eosProducerChoice(): "native" | "kafkajs" {
  const v = readEnv("SA_KAFKA_PRODUCER");
  return v === "kafkajs" || v === "kafkajs-eos" ? "kafkajs" : "native";
}

export class NativeOutput implements Output {
  /** The producer failed: nothing more is sent until the app dismisses it. */
  #error: Error | null = null;
  /** A record refused here (too large); the others go on. */
  #refused: Error | null = null;

  /** Connects a producer of its own (idempotent unless told otherwise). */
  static async open(
    brokerAddress: string,
    clientId: string,
    security: ClientSecurity | undefined,
    idempotent: boolean,
  ): Promise<NativeOutput> {
    const cluster = new Cluster({
      bootstrap: brokerAddress,
      clientId,
      security,
      connectTimeoutMs: 3000,
    });
    try {
      const producer = await ClientProducer.create(cluster, {
        acks: -1,
        idempotent,
        allowAutoTopicCreation: false,
      });
      return new NativeOutput(producer, undefined, async () => {
        await producer.close().catch(() => {});
        await cluster.close().catch(() => {});
      });
    } catch (e) {
      await cluster.close();
      throw e;
    }
  }

  /** Flushes (best effort) and closes the producer and its connections. */
  async close(): Promise<void> {
    await this.#close?.();
  }

  #close?: () => Promise<void>;

  constructor(
    readonly producer: OutputProducer,
    readonly maxPending = 40_000,
    close?: () => Promise<void>,
  ) {
    this.#close = close;
  }

  get pending(): number {
    return this.producer.pending;
  }

  produce(
    topic: Topic,
    value: unknown,
    key: unknown,
    timestamp: number | undefined,
    headers: MessageHeaders | undefined,
  ): void {
    const [k, v] = serializeRow(topic, value, key);
    this.#append(
      topic.name,
      null,
      k,
      v,
      hasAny(headers) ? headers : undefined,
      timestamp === undefined ? Date.now() : Math.trunc(timestamp),
    );
  }

  add(topic: string, m: Message): void {
    const headers: Record<string, string | Uint8Array> = {};
    for (const [name, val] of Object.entries(m.headers ?? {})) {
      const one = Array.isArray(val) ? val.at(-1) : val;
      if (one !== undefined) headers[name] = one;
    }
    this.#append(
      topic,
      m.partition ?? null,
      m.key ?? null,
      m.value,
      headers,
      m.timestamp === undefined ? Date.now() : Number(m.timestamp),
    );
  }

  #append(
    topic: string,
    partition: number | null,
    key: Uint8Array | string | null,
    value: Uint8Array | string | null,
    headers: MessageHeaders | undefined,
    timestamp: number,
  ): void {
    if (this.#error) return; // reported by flush
    let bytes = size(key) + size(value);
    if (headers) { for (const k in headers) bytes += k.length + size(headers[k]); }
    if (bytes > MAX_RECORD_BYTES) {
      this.#refused ??= new ProducerError(
        `delivery of 1 message(s) to ${topic} failed: a record of ${bytes} bytes exceeds the ` +
          `broker's message size limit (message.max.bytes, 1 MiB by default)`,
      );
      return;
    }
    try {
      this.producer.append(topic, partition, key, value, headers, timestamp);
    } catch (e) {
      this.#error = wrap(e, topic);
    }
  }

  async flush(): Promise<void> {
    if (!this.#error) {
      try {
        await this.producer.flush();
      } catch (e) {
        this.#error = wrap(e, "the output topics");
      }
    }
    if (this.#error) throw this.#error;
    if (this.#refused) throw this.#refused;
  }

  /**
   * Sends a record (a state changelog chunk) and resolves once it, and everything appended
   * before it, is acknowledged, with each partition's base offset (as kafkajs' send reports it):
   * the changelog's checkpoint records the offsets.
   */
  async sendRecord(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.#error) throw this.#error;
    const counts = appendRecord(this.producer, record);
    await this.producer.flush();
    // Only this producer writes a changelog partition while the app owns its input partition.
    return baseOffsets(this.producer, record.topic, counts);
  }

  async dismissError(): Promise<void> {
    this.#error = null;
    this.#refused = null;
    await this.producer.recover();
  }

  async backpressure(limit = this.maxPending): Promise<void> {
    try {
      await this.producer.ready(limit);
    } catch (e) {
      this.#error ??= wrap(e, "the output topics");
    }
  }
}

/** kafkajs message headers as the toolkit's producer takes them (the last of repeated ones). */
/** What {@link appendRecord} and {@link baseOffsets} need of either of the client's producers. */
interface AppendingProducer {
  append: ClientProducer["append"];
  lastOffset(topic: string, partition: number): number;
}

/** Appends a kafkajs-shaped record's messages; returns how many went to each partition. */
export function appendRecord(
  producer: AppendingProducer,
  record: ProducerRecord,
): Map<number, number> {
  const counts = new Map<number, number>();
  for (const m of record.messages) {
    const p = m.partition ?? 0;
    producer.append(
      record.topic,
      p,
      m.key ?? null,
      m.value ?? null,
      recordHeaders(m.headers),
      m.timestamp === undefined ? Date.now() : Number(m.timestamp),
    );
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return counts;
}

/**
 * Each partition's base offset of the records just flushed (as kafkajs' send reports it), from
 * its last acknowledged offset: right only while no other producer writes those partitions.
 */
export function baseOffsets(
  producer: AppendingProducer,
  topic: string,
  counts: Map<number, number>,
): RecordMetadata[] {
  return [...counts].map(([partition, n]) => ({
    topicName: topic,
    partition,
    errorCode: 0,
    baseOffset: String(producer.lastOffset(topic, partition) - n + 1),
  }));
}

export function recordHeaders(h: IHeaders | undefined): MessageHeaders | undefined {
  if (!h) return undefined;
  const out: Record<string, string | Uint8Array> = {};
  for (const [name, val] of Object.entries(h)) {
    const one = Array.isArray(val) ? val.at(-1) : val;
    if (one !== undefined) out[name] = one;
  }
  return out;
}

function wrap(e: unknown, where: string): Error {
  if (e instanceof ProducerError) return e;
  return new ProducerError(`delivery of messages to ${where} failed: ${(e as Error).message}`, {
    cause: e,
  });
}
