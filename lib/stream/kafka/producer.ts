/**
 * Producers: a batching layer over the kafkajs producer that keeps at most one request in
 * flight (kafkajs' idempotent producer numbers batches when they are sent, so overlapping
 * sends to one partition would race), and the public `Producer` from `app.getProducer()`.
 *
 * @module
 */

import type { Message, Producer as KafkaProducer, ProducerBatch } from "kafkajs";
import type { Logger } from "../../util/log.ts";
import { ProducerError, SerializationError } from "../errors.ts";
import type { Topic } from "../topic.ts";
import type { MessageHeaders } from "../types.ts";
import { toBuffer } from "./_kafka.ts";

/** Request size cap, well below the broker's default 1 MiB message.max.bytes. */
const MAX_REQUEST_BYTES = 768 * 1024;

function byteLength(v: Message["value"] | Message["key"]): number {
  if (v == null) return 0;
  return typeof v === "string" ? v.length * 3 : v.length;
}

/** Approximate encoded size of a message (value, key, headers, record overhead). */
function messageBytes(m: Message): number {
  let n = 32 + byteLength(m.value) + byteLength(m.key);
  if (m.headers) {
    for (const [k, v] of Object.entries(m.headers)) {
      n += k.length +
        (Array.isArray(v)
          ? v.reduce((s, x) => s + byteLength(x), 0)
          : byteLength(v as Message["value"]));
    }
  }
  return n;
}

/** Buffers messages and sends them in batches, one request at a time. */
export class BatchingProducer {
  #buffer = new Map<string, Message[]>();
  #buffered = 0;
  #inflight: Promise<void> | null = null;
  #scheduled = false;
  #error: Error | null = null;
  #drainWaiters: Array<() => void> = [];
  #gate: Promise<void> | null = null;
  /** Messages sent and acknowledged since creation. */
  acked = 0;
  /** Where batches go: the producer, or (exactly-once) the open transaction. */
  sender: { sendBatch(batch: ProducerBatch): Promise<unknown> };

  constructor(
    readonly producer: KafkaProducer,
    readonly logger: Logger,
    /** Send early once this many messages are buffered. */
    readonly maxBatch = 10_000,
  ) {
    this.sender = producer;
  }

  /** Messages buffered or in flight. */
  get pending(): number {
    return this.#buffered;
  }

  /** Queues one message; it is sent at the next microtask (or at once if the batch is full). */
  add(topic: string, message: Message): void {
    let list = this.#buffer.get(topic);
    if (!list) {
      list = [];
      this.#buffer.set(topic, list);
    }
    list.push(message);
    this.#buffered++;
    if (!this.#scheduled && !this.#inflight) {
      this.#scheduled = true;
      queueMicrotask(() => this.#kick());
    }
  }

  /** Serializes a row and queues it (the run loop's outputs). */
  produce(
    topic: Topic,
    value: unknown,
    key: unknown,
    timestamp: number | undefined,
    headers: MessageHeaders | undefined,
  ): void {
    this.add(topic.name, encodeMessage(topic, value, key, timestamp, headers));
  }

  /** Holds sending until `p` settles (e.g. topic creation); a rejection fails the batch. */
  hold(p: Promise<void>): void {
    const gate: Promise<void> = p.catch((e: Error) => {
      this.#error ??= new ProducerError(e.message, { cause: e });
    }).finally(() => {
      if (this.#gate === gate) this.#gate = null;
      this.#kick();
    });
    this.#gate = gate;
  }

  #kick(): void {
    this.#scheduled = false;
    if (this.#inflight || this.#gate || this.#buffer.size === 0) return;
    // One request at most MAX_REQUEST_BYTES: a partition's messages become one record batch,
    // and a batch above the broker's message.max.bytes (1 MiB by default) is refused whole.
    const topicMessages: Array<{ topic: string; messages: Message[] }> = [];
    let count = 0;
    let bytes = 0;
    for (const [topic, list] of this.#buffer) {
      let n = 0;
      while (n < list.length) {
        const b = messageBytes(list[n]);
        if (count > 0 && bytes + b > MAX_REQUEST_BYTES) break;
        bytes += b;
        count++;
        n++;
      }
      if (n === list.length) {
        topicMessages.push({ topic, messages: list });
        this.#buffer.delete(topic);
      } else {
        if (n > 0) topicMessages.push({ topic, messages: list.splice(0, n) });
        break;
      }
    }
    this.#inflight = this.sender.sendBatch({ topicMessages, acks: -1 }).then(
      () => {
        this.acked += count;
      },
      (e: Error) => {
        const topics = topicMessages.map((t) => t.topic).join(", ");
        this.#error ??= new ProducerError(
          `delivery of ${count} message(s) to ${topics} failed: ${e.message}`,
          {
            cause: e,
          },
        );
      },
    ).finally(() => {
      this.#buffered -= count;
      this.#inflight = null;
      if (this.#buffer.size > 0) this.#kick();
      else for (const w of this.#drainWaiters.splice(0)) w();
    });
  }

  /**
   * Resolves once everything added so far is acknowledged. After a delivery failure it keeps
   * rejecting with that error (so no later checkpoint can commit past lost output) until
   * {@link dismissError} is called.
   */
  async flush(): Promise<void> {
    if (this.#buffered > 0) {
      this.#kick();
      await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    }
    if (this.#error) throw this.#error;
  }

  /** Forgets the delivery failure (the app decided to skip the lost messages). */
  dismissError(): void {
    this.#error = null;
  }

  /** Waits while more than `limit` messages are pending (backpressure for fast loops). */
  async backpressure(limit = this.maxBatch * 4): Promise<void> {
    while (this.#buffered > limit) {
      if (!this.#inflight) this.#kick();
      await new Promise<void>((resolve) => this.#drainWaiters.push(resolve));
    }
  }
}

/** Serializes a row's value and key for `topic`; errors name the field and the topic. */
export function serializeRow(
  topic: Topic,
  value: unknown,
  key: unknown,
): [key: Uint8Array | null, value: Uint8Array | null] {
  let v: Uint8Array | null;
  let k: Uint8Array | null;
  try {
    v = topic.serializeValue(value);
  } catch (e) {
    throw new SerializationError("value", (e as Error).message, undefined, {
      serializing: true,
      topic: topic.name,
      cause: e,
    });
  }
  try {
    k = topic.serializeKey(key);
  } catch (e) {
    throw new SerializationError("key", (e as Error).message, undefined, {
      serializing: true,
      topic: topic.name,
      cause: e,
    });
  }
  return [k, v];
}

/** Serializes a row for `topic` into a kafkajs message. */
export function encodeMessage(
  topic: Topic,
  value: unknown,
  key: unknown,
  timestamp: number | undefined,
  headers: MessageHeaders | undefined,
): Message {
  const [k, v] = serializeRow(topic, value, key);
  const msg: Message = { key: toBuffer(k), value: toBuffer(v) };
  if (timestamp !== undefined) msg.timestamp = String(Math.trunc(timestamp));
  if (headers) {
    let any = false;
    for (const _ in headers) {
      any = true;
      break;
    }
    // Headers coming from kafkajs are Buffers already; only our Uint8Arrays need wrapping.
    if (any) {
      const out: Record<string, string | ReturnType<typeof toBuffer>> = {};
      for (const [name, val] of Object.entries(headers)) {
        out[name] = typeof val === "string" ? val : toBuffer(val);
      }
      msg.headers = out as Message["headers"];
    }
  }
  return msg;
}

/**
 * One message for {@link Producer.produce}.
 *
 * @example
 * ```ts
 * import type { ProduceMessage } from "@sa/toolkit";
 * const message: ProduceMessage<{ n: number }, string> = { key: "k", value: { n: 1 }, headers: { src: "demo" } };
 * ```
 */
export interface ProduceMessage<V = unknown, K = unknown> {
  /** The value (serialized with the topic's value format). */
  value: V | null;
  /** The key (serialized with the topic's key format); default none. */
  key?: K | null;
  /** Headers. */
  headers?: MessageHeaders;
  /** Timestamp in ms (default: now). */
  timestamp?: number;
  /** Explicit partition (default: by key hash, murmur2 as in Java clients). */
  partition?: number;
}

/**
 * A plain producer for apps that only write (like a replay service). `produce` is
 * synchronous and batches; `flush` waits for acknowledgements; `close` flushes and
 * disconnects. Get one from `app.getProducer()`.
 *
 * @example
 * ```ts
 * import { Application } from "@sa/toolkit";
 * const app = new Application();
 * const out = app.topic<{ n: number }>("numbers");
 * await using producer = await app.getProducer();
 * for (let n = 0; n < 3; n++) producer.produce(out, { key: "k", value: { n } });
 * await producer.flush();
 * ```
 */
export class Producer {
  readonly #batching: BatchingProducer;
  readonly #onClose: () => Promise<void>;
  readonly #ensureTopic: (topic: Topic) => Promise<void>;
  readonly #known = new Set<string>();
  #closed = false;

  /** Wraps a connected kafkajs producer (use `app.getProducer()`). */
  constructor(
    batching: BatchingProducer,
    onClose: () => Promise<void>,
    ensureTopic: (topic: Topic) => Promise<void>,
    knownTopics: Iterable<string>,
  ) {
    this.#batching = batching;
    this.#onClose = onClose;
    this.#ensureTopic = ensureTopic;
    for (const t of knownTopics) this.#known.add(t);
  }

  /** Messages buffered or in flight. */
  get pending(): number {
    return this.#batching.pending;
  }

  /** Serializes and queues one message; throws a serialization error naming the topic. */
  produce<V, K>(topic: Topic<V, K>, message: ProduceMessage<V, K>): void {
    if (this.#closed) throw new ProducerError("produce() after close()");
    const msg = encodeMessage(
      topic as Topic,
      message.value,
      message.key,
      message.timestamp,
      message.headers,
    );
    if (message.partition !== undefined) msg.partition = message.partition;
    if (!this.#known.has(topic.name)) {
      // Declared after getProducer(): create it before anything is sent.
      this.#known.add(topic.name);
      this.#batching.hold(this.#ensureTopic(topic as Topic));
    }
    this.#batching.add(topic.name, msg);
  }

  /** Waits for every queued message to be acknowledged (acks=all). */
  flush(): Promise<void> {
    return this.#batching.flush();
  }

  /** Waits while many messages are pending, so a fast loop cannot outrun the broker. */
  ready(): Promise<void> {
    return this.#batching.backpressure();
  }

  /** Flushes and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#batching.flush();
    } finally {
      this.#batching.dismissError();
      await this.#onClose();
    }
  }

  /** Same as {@link Producer.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
