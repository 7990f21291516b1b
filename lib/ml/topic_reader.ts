/**
 * Reads a whole topic from its first offset without a committed position: the `models` topic
 * is a table (every version and the deployment), read from the start by every inference app
 * on every start, and the CLI reads `models` and `model-kpis` the same way. kafkajs needs a
 * group to consume, so a throwaway one is used and deleted when done.
 *
 * @module
 */
import type { Kafka, KafkaMessage } from "kafkajs";

/** One record with where it is. */
export interface TopicRecord {
  partition: number;
  offset: string;
  message: KafkaMessage;
}

/** A running reader. */
export interface TopicFollower {
  /** Resolves once every record present at start has been handed over. */
  caughtUp: Promise<void>;
  /** Stops consuming and deletes the throwaway group. */
  stop(): Promise<void>;
}

/**
 * Hands every record of `topic` to `onRecord` (in order per partition), from the first offset,
 * then keeps following until `stop()`. With `onBatch`, each fetched batch goes to it whole
 * instead (records one producer sent together arrive in one batch). The topic must exist.
 */
export async function followTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (r: TopicRecord) => void,
  groupPrefix = "sa-ml-reader",
  onBatch?: (records: TopicRecord[]) => void,
): Promise<TopicFollower> {
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `${groupPrefix}-${crypto.randomUUID().slice(0, 8)}`;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    rebalanceTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });
  let stopped = false;
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const pending = new Map<number, bigint>();
    for (const o of offsets) {
      if (BigInt(o.high) > BigInt(o.low)) pending.set(o.partition, BigInt(o.high));
    }
    let caught!: () => void;
    const caughtUp = new Promise<void>((resolve) => (caught = resolve));
    if (pending.size === 0) caught();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: ({ batch }) => {
        const records = batch.messages.map((message) => ({
          partition: batch.partition,
          offset: message.offset,
          message,
        }));
        if (onBatch) onBatch(records);
        else records.forEach(onRecord);
        const high = pending.get(batch.partition);
        const last = records.at(-1);
        if (high !== undefined && last && BigInt(last.offset) + 1n >= high) {
          pending.delete(batch.partition);
          if (pending.size === 0) caught();
        }
        return Promise.resolve();
      },
    });
    return {
      caughtUp,
      async stop() {
        if (stopped) return;
        stopped = true;
        await consumer.disconnect().catch(() => {});
        await admin.deleteGroups([groupId]).catch(() => {});
        await admin.disconnect().catch(() => {});
      },
    };
  } catch (e) {
    await consumer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    throw e;
  }
}

/** Every record of `topic` present now (empty when the topic does not exist). */
export async function readTopic(kafka: Kafka, topic: string): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
  } finally {
    await admin.disconnect();
  }
  const out: TopicRecord[] = [];
  const follower = await followTopic(kafka, topic, (r) => out.push(r));
  try {
    await follower.caughtUp;
  } finally {
    await follower.stop();
  }
  return out;
}

/** A record's value parsed as JSON, or undefined when it is not JSON (or a tombstone). */
export function jsonValue(message: KafkaMessage): unknown {
  if (!message.value) return undefined;
  try {
    return JSON.parse(new TextDecoder().decode(message.value));
  } catch {
    return undefined;
  }
}
