/**
 * A producer whose every send resolves when the broker acknowledged that message. Sends made
 * while a request is in flight are grouped into the next request ("group commit"), so many
 * concurrent callers (HTTP requests, say) cost few round trips and each learns its own fate.
 *
 * @module
 */

import type { Message, Producer as KafkaProducer } from "kafkajs";

/** Request size cap, below the broker's default 1 MiB message.max.bytes. */
const MAX_REQUEST_BYTES = 768 * 1024;

interface Pending {
  topic: string;
  message: Message;
  bytes: number;
  resolve(): void;
  reject(e: Error): void;
}

/** Group-committing producer with per-message acknowledgement. */
export class AckingProducer {
  #queue: Pending[] = [];
  #inflight = false;
  #idle: Array<() => void> = [];
  /** A send failed since the last {@link drained} call. */
  #failed: Error | null = null;

  constructor(readonly producer: KafkaProducer) {}

  /** Queues one message; resolves once acknowledged (acks=all), rejects on failure. */
  send(topic: string, message: Message): Promise<void> {
    return new Promise((resolve, reject) => {
      const bytes = 64 + (message.value?.length ?? 0) + (message.key?.length ?? 0);
      this.#queue.push({ topic, message, bytes, resolve, reject });
      if (!this.#inflight) queueMicrotask(() => this.#kick());
    });
  }

  /**
   * Waits until everything sent so far is settled; rejects if any send failed since the
   * previous call (so a checkpoint never saves a position past a lost message).
   */
  async drained(): Promise<void> {
    if (this.#inflight || this.#queue.length) {
      await new Promise<void>((resolve) => this.#idle.push(resolve));
    }
    const failed = this.#failed;
    this.#failed = null;
    if (failed) throw failed;
  }

  #kick(): void {
    if (this.#inflight) return;
    if (this.#queue.length === 0) {
      for (const w of this.#idle.splice(0)) w();
      return;
    }
    let bytes = 0;
    let n = 0;
    while (
      n < this.#queue.length && (n === 0 || bytes + this.#queue[n].bytes <= MAX_REQUEST_BYTES)
    ) {
      bytes += this.#queue[n++].bytes;
    }
    const batch = this.#queue.splice(0, n);
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      let list = byTopic.get(p.topic);
      if (!list) byTopic.set(p.topic, list = []);
      list.push(p.message);
    }
    this.#inflight = true;
    this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    }).then(
      () => {
        for (const p of batch) p.resolve();
      },
      (e: Error) => {
        this.#failed ??= e;
        for (const p of batch) p.reject(e);
      },
    ).finally(() => {
      this.#inflight = false;
      this.#kick();
    });
  }
}
