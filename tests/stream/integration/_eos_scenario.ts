// Exactly-once under moving partitions: two replicas of one exactly-once app, the second
// starting later, one of them leaving and coming back, while input keeps arriving. The
// read_committed output must hold every input row exactly once. Used by
// exactly_once_rebalance_test.ts (a few runs) and `deno task stress:eos` (many).
import { Kafka, logLevel } from "kafkajs";
import { Application } from "../../../lib/stream/application.ts";
import { MemoryStateBackend } from "../../../lib/stream/state/memory.ts";
import { committedOffsets, fastConsumer, silent, startTestBroker, waitFor } from "./_util.ts";

/** What one run saw. */
export interface EosRunResult {
  /** Input rows produced. */
  produced: number;
  /** Output rows read (read_committed, whole topic). */
  read: number;
  /** Input rows seen more than once in the output (count of extra copies). */
  duplicates: number;
  /** Input rows missing from the output. */
  losses: number;
  /** Errors the replicas' runs rejected with. */
  errors: string[];
}

/** Timings of one run (ms from the first replica's start). */
export interface EosScenario {
  /** When the second replica starts (default 1500). */
  secondStartsAt?: number;
  /** When the second replica stops and rejoins (default: it does not leave). */
  secondLeavesAt?: number;
  /** How long the second replica stays away (default 1000). */
  secondAwayFor?: number;
  /** When the input stops (default 5000). */
  produceFor?: number;
  /** Checkpoint interval of the replicas (default 100). */
  commitInterval?: number;
}

const END_HEADER = "sa-test-end";

/**
 * Reads all of `topic` as a read_committed consumer. To know where "all" ends without
 * trusting a row count, a plain end marker is first appended to every partition (the writers
 * must be stopped): the reader stops at the marker of each partition, so rows past an
 * expected count (duplicates) are read too. Throws when a marker is not reached in time.
 */
export async function readWholeTopic(
  address: string,
  topic: string,
  timeoutMs = 30_000,
): Promise<{ key: string | null; value: string | null; partition: number; offset: number }[]> {
  const kafka = new Kafka({ brokers: [address], clientId: "reader", logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  let partitions: number[];
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    partitions = meta.topics[0].partitions.map((p) => p.partitionId);
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: partitions.map((partition) => ({
        partition,
        value: null,
        headers: { [END_HEADER]: "1" },
      })),
    });
  } finally {
    await producer.disconnect();
  }
  const consumer = kafka.consumer({
    groupId: `reader-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 100,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
  });
  const out: { key: string | null; value: string | null; partition: number; offset: number }[] = [];
  const ended = new Set<number>();
  await consumer.connect();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `readWholeTopic(${topic}): end marker of partitions ${
                partitions.filter((p) => !ended.has(p)).join(", ")
              } not reached in ${timeoutMs} ms (${out.length} rows read)`,
            ),
          ),
        timeoutMs,
      );
      consumer.run({
        eachMessage: ({ message, partition }) => {
          if (ended.has(partition)) return Promise.resolve();
          if (message.headers?.[END_HEADER] !== undefined) {
            ended.add(partition);
            if (ended.size === partitions.length) resolve();
          } else {
            out.push({
              key: message.key?.toString() ?? null,
              value: message.value?.toString() ?? null,
              partition,
              offset: Number(message.offset),
            });
          }
          return Promise.resolve();
        },
      }).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One run: a fresh broker, two replicas, the scenario's moves; counts repeats and losses. */
export async function runEosScenario(scenario: EosScenario = {}): Promise<EosRunResult> {
  const secondStartsAt = scenario.secondStartsAt ?? 1500;
  const produceFor = scenario.produceFor ?? 5000;
  const broker = await startTestBroker({ logger: silent });
  const stateDir = await Deno.makeTempDir({ prefix: "sa_eos_scenario_" });
  const errors: string[] = [];
  try {
    const replica = (name: string) => {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "pair",
        autoOffsetReset: "earliest",
        processingGuarantee: "exactly-once",
        stateDir,
        commitInterval: scenario.commitInterval ?? 100,
        logLevel: "SILENT",
        consumer: fastConsumer,
        handleSignals: false,
        clientId: name,
      });
      const input = app.topic<{ n: number }>("pair-in", { config: { numPartitions: 2 } });
      app.dataframe(input).toTopic(app.topic("pair-out", { config: { numPartitions: 2 } }));
      return app;
    };
    const seed = new Application({
      brokerAddress: broker.address,
      logLevel: "SILENT",
      stateBackend: new MemoryStateBackend(),
    });
    seed.topic("pair-in", { config: { numPartitions: 2 } });
    seed.topic("pair-out", { config: { numPartitions: 2 } });
    const producer = await seed.getProducer();
    let n = 0;
    let producing = true;
    const feeding = (async () => {
      while (producing) {
        for (const end = n + 10; n < end; n++) {
          producer.produce(seed.topic("pair-in"), { key: `k${n}`, value: { n } });
        }
        await producer.flush();
        await sleep(20);
      }
    })();
    const running: Promise<void>[] = [];
    const start = (name: string) => {
      const stop = new AbortController();
      const run = replica(name).run({ signal: stop.signal }).catch((e: Error) => {
        errors.push(`${name}: ${e.message}`);
      });
      running.push(run);
      return { stop: () => stop.abort(), run };
    };
    const t0 = Date.now();
    const at = (ms: number) => sleep(Math.max(0, ms - (Date.now() - t0)));
    const a = start("a");
    await at(secondStartsAt);
    let b = start("b");
    if (scenario.secondLeavesAt !== undefined) {
      await at(scenario.secondLeavesAt);
      b.stop();
      await b.run;
      await sleep(scenario.secondAwayFor ?? 1000);
      b = start("b2");
    }
    await at(produceFor);
    producing = false;
    await feeding;
    await producer.close();
    try {
      await waitFor(
        async () => {
          const c = await committedOffsets(broker.address, "pair", "pair-in");
          return (c[0] ?? 0) + (c[1] ?? 0) === n || errors.length > 0;
        },
        30_000,
        `the replicas to commit all ${n} input rows`,
      );
    } finally {
      a.stop();
      b.stop();
      await Promise.all(running);
    }
    const rows = await readWholeTopic(broker.address, "pair-out");
    const times = new Map<number, number>();
    for (const r of rows) {
      const v = JSON.parse(r.value!).n as number;
      times.set(v, (times.get(v) ?? 0) + 1);
    }
    let duplicates = 0;
    for (const c of times.values()) duplicates += c - 1;
    let losses = 0;
    for (let i = 0; i < n; i++) if (!times.has(i)) losses++;
    return { produced: n, read: rows.length, duplicates, losses, errors };
  } finally {
    await broker.close();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
}
