// Helpers for runtime integration tests: an in-process broker and a topic reader.
import { Kafka, logLevel } from "kafkajs";
import { startTestBroker } from "../../broker/_harness.ts";
import { Logger } from "../../../lib/util/log.ts";

export { startTestBroker };
export const silent = new Logger("broker", "SILENT");

/** Fast group timings so tests rebalance and stop quickly. */
export const fastConsumer = {
  sessionTimeout: 6000,
  heartbeatInterval: 500,
  rebalanceTimeout: 6000,
  maxWaitTimeInMs: 100,
};

export interface ReadRecord {
  key: string | null;
  value: string | null;
  partition: number;
  offset: number;
  headers: Record<string, string>;
}

/**
 * Reads `topic` from the beginning until `count` records arrived (or `timeoutMs` passed), as a
 * read_committed consumer unless `readUncommitted`.
 */
export async function readTopic(
  address: string,
  topic: string,
  count: number,
  timeoutMs = 15000,
  readUncommitted = false,
): Promise<ReadRecord[]> {
  const kafka = new Kafka({ brokers: [address], clientId: "reader", logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({
    groupId: `reader-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 100,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    readUncommitted,
  });
  const out: ReadRecord[] = [];
  await consumer.connect();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      consumer.run({
        eachMessage: ({ message, partition }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          out.push({
            key: message.key?.toString() ?? null,
            value: message.value?.toString() ?? null,
            partition,
            offset: Number(message.offset),
            headers,
          });
          if (out.length >= count) resolve();
          return Promise.resolve();
        },
      });
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return out;
}

/** Committed offsets of `group` for `topic`, by partition. */
export async function committedOffsets(
  address: string,
  group: string,
  topic: string,
): Promise<Record<number, number>> {
  const kafka = new Kafka({ brokers: [address], clientId: "admin", logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const out: Record<number, number> = {};
    for (const p of res[0].partitions) out[p.partition] = Number(p.offset);
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Resolves once `pred()` holds, polling every 50 ms; rejects after `timeoutMs`. */
export async function waitFor(
  pred: () => boolean | Promise<boolean>,
  timeoutMs = 15000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
