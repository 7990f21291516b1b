/**
 * The hand-written kafkajs contender of `bench/pipeline.ts`, as its own process: eachBatch →
 * normalize by hand → one send (acks all, awaited) → commit when the checkpoint period is
 * over (and at the end), as the runtime does; until SIGTERM.
 *
 * Usage: deno run -A _pipeline_kafkajs.ts <broker> <group> <input> <output>
 *
 * @module
 */
import type { Buffer } from "node:buffer";
import { Kafka, logLevel } from "kafkajs";
import { filterKafkajsTimerWarning } from "../lib/stream/kafka/_kafka.ts";
import { COMMIT_INTERVAL_MS } from "./_pipeline_runtime.ts";
import { normalizeValue } from "./_pipeline_work.ts";

/** One output row of the hand-written loop, as kafkajs takes it. */
interface OutRow {
  key: Buffer | null;
  value: string;
  timestamp: string;
}

async function kafkajsLoop(
  address: string,
  group: string,
  input: string,
  output: string,
  signal: AbortSignal,
) {
  const k = new Kafka({ brokers: [address], clientId: "bench", logLevel: logLevel.NOTHING });
  const producer = k.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = k.consumer({
    groupId: group,
    maxBytesPerPartition: 1024 * 1024, // as the runtime: fresh large buffers cost more here
    maxWaitTimeInMs: 250,
  });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: input, fromBeginning: true });
  const processed = new Map<number, string>();
  let lastCommit = Date.now();
  const commit = async () => {
    if (processed.size === 0) return;
    const offsets = [...processed].map(([partition, offset]) => ({
      topic: input,
      partition,
      offset,
    }));
    processed.clear();
    lastCommit = Date.now();
    await consumer.commitOffsets(offsets);
  };
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      const rows: OutRow[] = [];
      for (const m of batch.messages) {
        normalizeValue(
          m.value!.toString(),
          (value) => rows.push({ key: m.key, value, timestamp: m.timestamp }),
        );
      }
      if (rows.length) await producer.send({ topic: output, acks: -1, messages: rows });
      const last = batch.messages[batch.messages.length - 1];
      if (last) {
        resolveOffset(last.offset);
        processed.set(batch.partition, (BigInt(last.offset) + 1n).toString());
      }
      if (Date.now() - lastCommit >= COMMIT_INTERVAL_MS) await commit();
      await heartbeat();
    },
  });
  await new Promise((r) => signal.addEventListener("abort", r, { once: true }));
  await consumer.stop();
  await commit();
  await consumer.disconnect();
  await producer.disconnect();
}

if (import.meta.main) {
  // kafkajs' idle timers would print a Node TimeoutNegativeWarning.
  filterKafkajsTimerWarning();
  const [address, group, input, output] = Deno.args;
  const ctl = new AbortController();
  Deno.addSignalListener("SIGTERM", () => ctl.abort());
  console.log("ready");
  await kafkajsLoop(address, group, input, output, ctl.signal);
  Deno.exit(0);
}
