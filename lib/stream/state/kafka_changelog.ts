/**
 * {@link ChangelogIO} over kafkajs (admin for topics and offsets, the application's producer
 * for changes) and a small fetch reader for recovery.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { Admin, IHeaders, Message, RecordMetadata } from "kafkajs";
import type { ChangelogIO, ChangelogMessage, ChangelogRecord } from "./changelog.ts";
import { fetchRange } from "./_fetch_reader.ts";
import type { ConnectSecurity } from "../../kafka/client/connection.ts";

/** Sends messages to one topic partition and resolves once acknowledged. */
export type ChangelogProduce = (
  topic: string,
  messages: Message[],
) => Promise<RecordMetadata[]>;

/** Options of {@link KafkaChangelog}. */
export interface KafkaChangelogOptions {
  /** Bootstrap addresses (`host:port`). */
  brokers: string[];
  /** TLS/SASL for the recovery reader's own connections (default plaintext). */
  security?: ConnectSecurity;
  /** Connected kafkajs admin client. */
  admin: Admin;
  /** How changes are produced: the app's producer (or its open transaction under EOS). */
  produce: ChangelogProduce;
  /** The application's consumer group (for committed offsets). */
  group: string;
  /** Replication factor of created changelogs (default: broker default). */
  replicationFactor?: number;
}

const CHUNK_BYTES = 512 * 1024;
const CHUNK_MESSAGES = 5000;

const toBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** Changelog I/O against a Kafka-compatible cluster. */
export class KafkaChangelog implements ChangelogIO {
  constructor(readonly opts: KafkaChangelogOptions) {}

  async partitions(topic: string): Promise<number> {
    const md = await this.opts.admin.fetchTopicMetadata({ topics: [topic] });
    const t = md.topics.find((x) => x.name === topic);
    if (!t || t.partitions.length === 0) {
      throw new Error(`state: source topic "${topic}" not found`);
    }
    return t.partitions.length;
  }

  async ensureTopic(name: string, partitions: number): Promise<void> {
    const existing = await this.opts.admin.listTopics();
    if (existing.includes(name)) {
      const n = await this.partitions(name);
      if (n !== partitions) {
        throw new Error(
          `changelog topic "${name}" has ${n} partitions but its source has ${partitions}; ` +
            `delete it (and the local state) or use another consumer group`,
        );
      }
      return;
    }
    await this.opts.admin.createTopics({
      waitForLeaders: true,
      topics: [{
        topic: name,
        numPartitions: partitions,
        replicationFactor: this.opts.replicationFactor ?? -1,
        configEntries: [{ name: "cleanup.policy", value: "compact" }],
      }],
    });
  }

  async send(topic: string, partition: number, messages: ChangelogMessage[]): Promise<number> {
    // One produce request must stay under the broker's max message size (1 MiB by default):
    // send in chunks of at most ~512 KiB, in order.
    let last = -1;
    let chunk: Message[] = [];
    let bytes = 0;
    const flush = async () => {
      if (!chunk.length) return;
      const meta = await this.opts.produce(topic, chunk);
      for (const r of meta) {
        if (r.partition !== partition) continue;
        // kafkajs reports the batch's base offset: the chunk's last is base + length - 1.
        const base = Number(r.baseOffset ?? r.offset ?? -1);
        if (base >= 0) last = Math.max(last, base + chunk.length - 1);
      }
      chunk = [];
      bytes = 0;
    };
    for (const m of messages) {
      const size = m.key.length + (m.value?.length ?? 0) + 64;
      if (bytes + size > CHUNK_BYTES || chunk.length >= CHUNK_MESSAGES) await flush();
      chunk.push({
        partition,
        key: toBuffer(m.key),
        value: m.value === null ? null : toBuffer(m.value),
        headers: m.headers as IHeaders,
      });
      bytes += size;
    }
    await flush();
    return last;
  }

  async watermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    const offsets = await this.opts.admin.fetchTopicOffsets(topic);
    const p = offsets.find((o) => o.partition === partition);
    if (!p) throw new Error(`state: ${topic} has no partition ${partition}`);
    return { low: Number(p.low), high: Number(p.high) };
  }

  read(
    topic: string,
    partition: number,
    from: number,
    to: number,
  ): AsyncIterable<ChangelogRecord[]> {
    return fetchRange(this.opts.brokers, topic, partition, from, to, undefined, this.opts.security);
  }

  async committed(topic: string, partition: number): Promise<number> {
    const res = await this.opts.admin.fetchOffsets({ groupId: this.opts.group, topics: [topic] });
    const p = res.find((t) => t.topic === topic)?.partitions.find((x) => x.partition === partition);
    const n = p ? Number(p.offset) : -1;
    return Number.isFinite(n) ? n : -1;
  }
}
