/**
 * Changelog topics: naming, record headers, and the I/O the durable backend needs from Kafka
 * (implemented over kafkajs plus a small fetch reader in `kafka_changelog.ts`, and in memory
 * for tests).
 *
 * @module
 */

/** `changelog__<group>--<stream>--<store>`, as Quix names them. */
export function changelogTopicName(group: string, stream: string, store: string): string {
  return `changelog__${group}--${stream}--${store}`;
}

/**
 * Header carrying `{ "<input topic>": <last processed offset> }`: recovery skips a change
 * whose input offset was not committed (it came from processing that will be redone).
 */
export const PROCESSED_OFFSETS_HEADER = "__processed_tp_offsets__";

/** Header naming the column family, kept for Quix compatibility (`default` for user keys). */
export const COLUMN_FAMILY_HEADER = "__column_family__";

/** A change to send to a changelog partition. */
export interface ChangelogMessage {
  key: Uint8Array;
  /** `null` is a tombstone (delete). */
  value: Uint8Array | null;
  headers: Record<string, string>;
}

/** A record read back from a changelog partition. */
export interface ChangelogRecord extends ChangelogMessage {
  offset: number;
}

/** What the durable state backend needs from the Kafka cluster. */
export interface ChangelogIO {
  /** Partition count of a topic (the source of a store). */
  partitions(topic: string): Promise<number>;
  /**
   * Creates the compacted changelog topic with `partitions` partitions when missing; throws
   * when it exists with another count.
   */
  ensureTopic(name: string, partitions: number): Promise<void>;
  /** Produces to one partition; resolves with the offset of the last message once acked. */
  send(topic: string, partition: number, messages: ChangelogMessage[]): Promise<number>;
  /** Low watermark and high watermark (next offset) of a partition. */
  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }>;
  /** Reads `[from, to)` in batches, skipping control records. */
  read(
    topic: string,
    partition: number,
    from: number,
    to: number,
  ): AsyncIterable<ChangelogRecord[]>;
  /** The consumer group's committed (next) offset for an input partition, or -1. */
  committed(topic: string, partition: number): Promise<number>;
}
