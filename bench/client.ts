/**
 * The toolkit's Kafka producer (`lib/kafka/client`) against kafkajs, in one run, against the
 * embedded broker in a subprocess (so the broker's CPU is not counted as the client's).
 *
 * Each contender produces the same N keyed messages (about 130-byte JSON rows, already
 * serialized, as the runtime hands them over) to a fresh 4-partition topic with acks -1 and
 * idempotence, the way the runtime uses each client: kafkajs with `sendBatch` of 10,000
 * messages at a time and one request in flight (lib/stream/kafka/producer.ts); the new
 * producer appending with backpressure. With `--transactional`, each 10,000 messages are one
 * transaction (begin, send, commit) for both. Reported: messages per second, the client process's
 * CPU per message (`process.cpuUsage`), and the broker's.
 *
 * ```
 * deno task bench:client [--messages 200000] [--rounds 3] [--only sa|kafkajs]
 *                        [--compression none|gzip|zstd] [--transactional]
 *                        [--latency-seconds S  (paced 1,000 msgs/s: send → ack p50/p99 instead)]
 * ```
 *
 * @module
 */
import process from "node:process";
import { Buffer } from "node:buffer";
import { Kafka, logLevel } from "kafkajs";
import { Cluster } from "../lib/kafka/client/cluster.ts";
import { Producer } from "../lib/kafka/client/producer.ts";
import { TransactionalProducer } from "../lib/kafka/client/transaction.ts";
import { Admin } from "../lib/kafka/client/admin.ts";
import { cpuSeconds, num, percentile, table } from "./_util.ts";
import { startBrokerProcess } from "./_pipeline_proc.ts";
import { filterKafkajsTimerWarning } from "../lib/stream/kafka/_kafka.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function arg(name: string, fallback: string): string {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : fallback;
}
const MESSAGES = Number(arg("messages", "200000"));
const ROUNDS = Number(arg("rounds", "3"));
const ONLY = arg("only", "");
const COMPRESSION = arg("compression", "none") as "none" | "gzip" | "zstd";
/** Paced mode: 1,000 msgs/s for this many seconds, each acknowledged before the next (ms p50/p99). */
const LATENCY_SECONDS = Number(arg("latency-seconds", "0"));
/** Exactly-once mode: every 10,000 messages are one committed transaction. */
const TRANSACTIONAL = Deno.args.includes("--transactional");
const PARTITIONS = 4;
const CHUNK = 10_000;

const enc = new TextEncoder();

/** 1,000 distinct rows and keys, cycled: serialized once, as the runtime's serializers do. */
const values: Uint8Array[] = [];
const keys: Uint8Array[] = [];
for (let i = 0; i < 1000; i++) {
  const row = {
    deviceId: `device-${i % 16}`,
    timestamp: 1_700_000_000_000 + i * 20,
    x: Math.sin(i) * 9.81,
    y: Math.cos(i) * 9.81,
    z: (i % 7) - 3.5,
    magnitude: 9.81 + (i % 13) / 10,
  };
  values.push(enc.encode(JSON.stringify(row)));
  keys.push(enc.encode(row.deviceId));
}

interface Result {
  seconds: number;
  cpuUs: number;
  brokerCpuS: number;
}

async function measure(brokerPid: number, run: () => Promise<void>): Promise<Result> {
  const b0 = await cpuSeconds(brokerPid);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpuUs: c.user + c.system, brokerCpuS: (await cpuSeconds(brokerPid)) - b0 };
}

async function runSa(address: string, topic: string, brokerPid: number): Promise<Result> {
  const cluster = new Cluster({ bootstrap: address, clientId: "bench-sa" });
  try {
    await cluster.topic(topic);
    if (TRANSACTIONAL) {
      const tp = await TransactionalProducer.create(cluster, {
        transactionalId: `bench-sa-${topic}`,
        compression: COMPRESSION,
      });
      const r = await measure(brokerPid, async () => {
        for (let i = 0; i < MESSAGES; i += CHUNK) {
          tp.beginTransaction();
          for (let k = i; k < Math.min(MESSAGES, i + CHUNK); k++) {
            tp.append(topic, null, keys[k % 1000], values[k % 1000]);
          }
          await tp.commit();
        }
      });
      await tp.close();
      return r;
    }
    const p = await Producer.create(cluster, { compression: COMPRESSION });
    const r = await measure(brokerPid, async () => {
      for (let i = 0; i < MESSAGES; i++) {
        const j = i % 1000;
        p.append(topic, null, keys[j], values[j]);
        if (i % 1000 === 999) await p.ready(50_000);
      }
      await p.flush();
    });
    if (p.acked !== MESSAGES) throw new Error(`sa: ${p.acked} of ${MESSAGES} acknowledged`);
    await p.close();
    return r;
  } finally {
    await cluster.close();
  }
}

async function runKafkajs(address: string, topic: string, brokerPid: number): Promise<Result> {
  const kafka = new Kafka({
    brokers: [address],
    clientId: "bench-kafkajs",
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    ...(TRANSACTIONAL ? { transactionalId: `bench-kafkajs-${topic}` } : {}),
  });
  await producer.connect();
  const compression = { none: 0, gzip: 1, zstd: 4 }[COMPRESSION];
  if (compression === 4) throw new Error("kafkajs has no built-in zstd codec");
  const bufKeys = keys.map((k) => Buffer.from(k.buffer, k.byteOffset, k.byteLength));
  const bufValues = values.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  try {
    return await measure(brokerPid, async () => {
      for (let i = 0; i < MESSAGES; i += CHUNK) {
        const messages = [];
        for (let k = i; k < Math.min(MESSAGES, i + CHUNK); k++) {
          messages.push({ key: bufKeys[k % 1000], value: bufValues[k % 1000] });
        }
        if (TRANSACTIONAL) {
          const txn = await producer.transaction();
          await txn.sendBatch({ topicMessages: [{ topic, messages }], acks: -1, compression });
          await txn.commit();
        } else {
          await producer.sendBatch({ topicMessages: [{ topic, messages }], acks: -1, compression });
        }
      }
    });
  } finally {
    await producer.disconnect();
  }
}

/** Sends one message per ms tick for LATENCY_SECONDS with `send`; send → ack latencies in ms. */
async function paced(send: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  const start = performance.now();
  for (let i = 0; i < LATENCY_SECONDS * 1000; i++) {
    const due = start + i;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    await send(i);
    out.push(performance.now() - t0);
  }
  return out;
}

async function latencyMode(address: string): Promise<void> {
  const setup = new Cluster({ bootstrap: address });
  await new Admin(setup).createTopics([{ name: "lat-sa", partitions: 1 }, {
    name: "lat-kafkajs",
    partitions: 1,
  }]);
  const p = await Producer.create(setup);
  const sa = await paced((i) => {
    p.append("lat-sa", 0, keys[i % 1000], values[i % 1000]);
    return p.flush();
  });
  await p.close();
  await setup.close();
  const kafka = new Kafka({
    brokers: [address],
    clientId: "bench-kafkajs",
    logLevel: logLevel.NOTHING,
  });
  const kp = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await kp.connect();
  const kj = await paced(async (i) => {
    await kp.send({
      topic: "lat-kafkajs",
      acks: -1,
      messages: [{ key: Buffer.from(keys[i % 1000]), value: Buffer.from(values[i % 1000]) }],
    });
  });
  await kp.disconnect();
  console.log(`\nsend → ack at 1,000 msgs/s for ${LATENCY_SECONDS} s, acks -1, idempotent (ms)`);
  console.log(table(
    ["client", "p50", "p99", "max"],
    [["sa", sa], ["kafkajs", kj]].map(([name, xs]) => [
      name as string,
      num(percentile(xs as number[], 50), 2),
      num(percentile(xs as number[], 99), 2),
      num(Math.max(...(xs as number[])), 2),
    ]),
  ));
}

filterKafkajsTimerWarning();
const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-client-" });
const broker = await startBrokerProcess(ROOT, dataDir);
if (LATENCY_SECONDS > 0) {
  try {
    await latencyMode(broker.address);
  } finally {
    await broker.stop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
  Deno.exit(0);
}
console.error(`broker subprocess at ${broker.address}; ${MESSAGES} messages x ${ROUNDS} rounds`);
const contenders = [
  ["sa", runSa],
  ["kafkajs", runKafkajs],
] as const;
const results = new Map<string, Result[]>();
try {
  const setup = new Cluster({ bootstrap: broker.address });
  const admin = new Admin(setup);
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first, so neither always gets the warmer broker.
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const [name, run] of order) {
      if (ONLY && ONLY !== name) continue;
      const topic = `bench-${name}-${round}`;
      await admin.createTopics([{ name: topic, partitions: PARTITIONS, replicationFactor: 1 }]);
      const r = await run(broker.address, topic, broker.pid);
      // Honest numbers: the topic holds exactly what was sent.
      // (Each transaction adds one commit marker per partition it wrote to.)
      const stored = (await admin.listOffsets(topic, "latest", { readCommitted: true }))
        .reduce((n, p) => n + p.offset, 0);
      const markers = TRANSACTIONAL ? Math.ceil(MESSAGES / CHUNK) * PARTITIONS : 0;
      if (stored !== MESSAGES + markers) {
        throw new Error(`${name}: ${stored - markers} of ${MESSAGES} messages stored`);
      }
      const list = results.get(name) ?? [];
      list.push(r);
      results.set(name, list);
      console.error(
        `${name} round ${round + 1}: ${num(MESSAGES / r.seconds)} msgs/s, ` +
          `${num(r.cpuUs / MESSAGES, 2)} µs CPU/msg, broker ${
            num(r.brokerCpuS * 1e6 / MESSAGES, 2)
          } µs/msg`,
      );
      await admin.deleteTopics([topic]);
    }
  }
  await setup.close();
} finally {
  await broker.stop();
  await Deno.remove(dataDir, { recursive: true }).catch(() => {});
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `\n${MESSAGES} messages, ${PARTITIONS} partitions, acks -1, idempotent, compression ${COMPRESSION}` +
    `${TRANSACTIONAL ? `, a transaction per ${CHUNK}` : ""}; ` +
    `median of ${ROUNDS} rounds (client CPU from process.cpuUsage)`,
);
console.log(table(
  ["client", "msgs/s", "client CPU µs/msg", "broker CPU µs/msg"],
  [...results].map(([name, rs]) => [
    name,
    num(median(rs.map((r) => MESSAGES / r.seconds))),
    num(median(rs.map((r) => r.cpuUs / MESSAGES)), 2),
    num(median(rs.map((r) => r.brokerCpuS * 1e6 / MESSAGES)), 2),
  ]),
));
