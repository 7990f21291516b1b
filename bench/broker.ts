/**
 * Broker benchmark (`deno task bench:broker`): produce and consume throughput for 100 B and
 * 1 KB messages with acks=1 and acks=all, with librdkafka (batched: python3-confluent-kafka,
 * and kcat -P, librdkafka without Python's per-message cost) and kafkajs; the disk's sequential write bandwidth (dd with fdatasync, right before every
 * produce run, since this disk's figure swings several-fold within minutes) and each run's
 * broker/disk ratio; the broker's and the client's CPU per MB produced; p99 produce latency
 * with acks=all at 1,000 msgs/s.
 *
 * The broker runs as a subprocess (`sa broker`, default settings) so its CPU is its own.
 * Flags: `--quick` (smaller counts), `--runs N` (median of N runs), `--keep` (keep the data dir); env `SA_BENCH_ONLY=kafkajs`
 * (or `librdkafka`, `kcat`) runs one client's throughput rows, `SA_BENCH_ONLY=latency` none of them.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Kafka, logLevel } from "kafkajs";
import { spawnBroker } from "../tests/broker/clients/_process.ts";
import { clientMissingReason, PYTHON } from "../tests/_clients.ts";
import { cpuSeconds, diskWriteBandwidth, mbps, num, percentile, runJson, table } from "./_util.ts";
import { filterKafkajsTimerWarning } from "../lib/stream/kafka/_kafka.ts";

// kafkajs' idle timers would print a Node TimeoutNegativeWarning into the figures.
filterKafkajsTimerWarning();

const quick = Deno.args.includes("--quick");
/** `--runs N`: repeat each measurement N times and report the median (this machine is shared). */
const RUNS = Math.max(1, Number(Deno.args[Deno.args.indexOf("--runs") + 1]) || 1);
const keep = Deno.args.includes("--keep");
const RDKAFKA = new URL("./_rdkafka.py", import.meta.url).pathname;
const PARTITIONS = 4;

/** Messages per run, by client and size. */
const COUNTS: Record<string, Record<number, number>> = {
  librdkafka: { 100: quick ? 200_000 : 1_000_000, 1024: quick ? 60_000 : 300_000 },
  kcat: { 100: quick ? 200_000 : 1_000_000, 1024: quick ? 60_000 : 300_000 },
  kafkajs: { 100: quick ? 50_000 : 200_000, 1024: quick ? 20_000 : 100_000 },
};

interface Throughput {
  msgs: number;
  bytes: number;
  seconds: number;
  /** CPU seconds the producing client used (all threads), when it reports them. */
  cpu?: number;
  /** CPU seconds the broker process used meanwhile. */
  brokerCpu?: number;
  /** The disk's write bandwidth (bytes/s), measured with dd just before this run. */
  disk?: number;
}

interface Row {
  client: string;
  size: number;
  acks: string;
  produce: Throughput;
  consume: Throughput;
  /** Per run: produce rate / the disk bandwidth dd measured just before it. */
  diskRatios: number[];
}

function kafka(address: string): Kafka {
  return new Kafka({
    clientId: "sa-bench",
    brokers: [address],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3 },
  });
}

async function deleteTopic(address: string, topic: string): Promise<void> {
  const admin = kafka(address).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
}

async function createTopic(address: string, topic: string): Promise<void> {
  const admin = kafka(address).admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS }],
    waitForLeaders: true,
  });
  await admin.disconnect();
}

async function kafkajsProduce(
  address: string,
  topic: string,
  size: number,
  count: number,
  acks: number,
): Promise<Throughput> {
  const producer = kafka(address).producer();
  await producer.connect();
  const value = Buffer.alloc(size, 120);
  const perSend = 1000, concurrency = 4;
  await producer.send({ topic, acks, messages: [{ value }] }); // warm-up, not counted
  let sent = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (sent < count) {
      const n = Math.min(perSend, count - sent);
      sent += n;
      await producer.send({ topic, acks, messages: Array.from({ length: n }, () => ({ value })) });
    }
  }));
  const seconds = (performance.now() - started) / 1000;
  await producer.disconnect();
  return { msgs: count, bytes: count * size, seconds };
}

async function kafkajsConsume(address: string, topic: string, count: number): Promise<Throughput> {
  const consumer = kafka(address).consumer({
    groupId: `bench-${topic}`,
    maxWaitTimeInMs: 100,
    // kafkajs' default 1 MiB: each response is copied into one new buffer, and fresh pages
    // of larger ones cost more than they save (see kcatConsume).
    maxBytesPerPartition: 1024 * 1024,
  });
  let got = 0, bytes = 0, started = 0;
  // Timed from the group join: includes every fetch, excludes connecting and the rebalance.
  consumer.on(consumer.events.GROUP_JOIN, () => started = performance.now());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => done = r);
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: PARTITIONS,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) bytes += m.value?.length ?? 0;
      got += batch.messages.length;
      if (got >= count) done();
      await Promise.resolve();
    },
  });
  const timer = setTimeout(() => done(), 120_000);
  await finished;
  clearTimeout(timer);
  if (got < count) throw new Error(`kafkajs consumed only ${got} of ${count} messages of ${topic}`);
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return { msgs: got, bytes, seconds };
}

/**
 * librdkafka consume throughput with kcat (no per-message formatting). The count is checked
 * from kcat's "Reached end of topic T [p] at offset N" lines.
 *
 * Fetches stay at librdkafka's 1 MiB per partition and 1 MiB per request: on this VM a fresh
 * multi-MB allocation costs ~1 ms/MB in page faults, so kcat itself slows down with 10-50 MB
 * fetches (307 MB: 1.15 s with 50 MB fetches vs 0.25 s with 1 MB ones, the same broker).
 */
async function kcatConsume(
  address: string,
  topic: string,
  count: number,
  size: number,
): Promise<Throughput> {
  const started = performance.now();
  const out = await new Deno.Command("kcat", {
    args: [
      ...["-b", address, "-C", "-t", topic, "-o", "beginning", "-e", "-f", ""],
      ...["-X", "fetch.max.bytes=1048576", "-X", "max.partition.fetch.bytes=1048576"],
      ...["-X", "fetch.wait.max.ms=10"],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  const err = new TextDecoder().decode(out.stderr);
  let got = 0;
  for (const m of err.matchAll(/Reached end of topic \S+ \[\d+\] at offset (\d+)/g)) {
    got += Number(m[1]);
  }
  if (!out.success || got !== count) {
    throw new Error(`kcat consumed ${got} of ${count} messages of ${topic}:\n${err}`);
  }
  return { msgs: got, bytes: got * size, seconds };
}

/**
 * librdkafka's C producer through `kcat -P`, batched like the confluent-kafka producer, from a
 * file of `count` lines of `size` bytes. Timed from process start to exit (start-up and
 * metadata included); client CPU from bash's `times` (the child's user + system seconds).
 *
 * glibc is told to keep kcat's heap (no trimming, 256 MiB top pad, mmap only above 4 MiB):
 * librdkafka copies every message into a malloc'd buffer, and on this VM pages given back
 * and faulted in again cost kcat ~40% more CPU (1 KB messages: 0.64 vs 1.18 CPU s and 8k vs
 * 45k minor faults for 307 MB). It changes the client only; the broker is the same.
 */
async function kcatProduce(
  address: string,
  topic: string,
  file: string,
  size: number,
  count: number,
  acks: string,
): Promise<Throughput> {
  const args = [
    ...["-P", "-b", address, "-t", topic, "-l", file, "-X", `acks=${acks}`],
    ...["-X", "linger.ms=5", "-X", "batch.size=1000000", "-X", "batch.num.messages=100000"],
    ...["-X", "queue.buffering.max.messages=2000000"],
    ...["-X", "queue.buffering.max.kbytes=2097151", "-X", "compression.type=none"],
  ];
  const script = `kcat "$@" || exit $?; times`;
  const started = performance.now();
  const out = await new Deno.Command("bash", {
    args: ["-c", script, "kcat", ...args],
    env: {
      MALLOC_TRIM_THRESHOLD_: "2147483647",
      MALLOC_TOP_PAD_: String(256 * 1024 * 1024),
      MALLOC_MMAP_THRESHOLD_: String(4 * 1024 * 1024),
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  const stderr = new TextDecoder().decode(out.stderr);
  if (!out.success || /fail|error/i.test(stderr)) {
    throw new Error(`kcat -P to ${topic} failed (exit ${out.code}): ${stderr}`);
  }
  // `times`: the shell's own user/system, then its children's: "0m0.470s 0m0.660s".
  const children = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "";
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)]
    .reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
  return { msgs: count, bytes: count * size, seconds, cpu };
}

/** A file of `count` lines of `size` bytes each, for kcat -P. */
async function lineFile(dir: string, size: number, count: number): Promise<string> {
  const path = `${dir}/lines-${size}-${count}.txt`;
  const line = new Uint8Array(size + 1).fill(120);
  line[size] = 10;
  const chunk = new Uint8Array(line.length * 1000);
  for (let i = 0; i < 1000; i++) chunk.set(line, i * line.length);
  using f = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let left = count; left > 0; left -= 1000) {
    const bytes = left >= 1000 ? chunk : chunk.subarray(0, left * line.length);
    for (let off = 0; off < bytes.length;) off += await f.write(bytes.subarray(off));
  }
  return path;
}

async function kafkajsLatency(address: string, topic: string, rate: number, seconds: number) {
  const producer = kafka(address).producer();
  await producer.connect();
  const value = Buffer.alloc(100, 108);
  await producer.send({ topic, acks: -1, messages: [{ value }] });
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const n = rate * seconds;
  for (let i = 0; i < n; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    pending.push(
      producer.send({ topic, acks: -1, messages: [{ value }] }).then(() => {
        latencies.push(performance.now() - t0);
      }),
    );
  }
  await Promise.all(pending);
  await producer.disconnect();
  return latencies;
}

/** The run with the median throughput. */
function median(runs: Throughput[]): Throughput {
  const sorted = [...runs].sort((a, b) => a.bytes / a.seconds - b.bytes / b.seconds);
  return sorted[(sorted.length - 1) >> 1];
}

function rate(t: Throughput): [string, string] {
  return [num(t.msgs / t.seconds), num(mbps(t.bytes, t.seconds), 1)];
}

async function main(): Promise<void> {
  const missing = await clientMissingReason("confluent-kafka") ??
    await clientMissingReason("kcat");
  const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-broker-" });
  console.log(`# sa broker benchmark${quick ? " (--quick)" : ""}`);
  console.log(`data dir ${dataDir}; ${navigator.hardwareConcurrency} cores; ${Deno.version.deno}`);

  // This virtual disk's bandwidth swings several-fold within minutes, so dd also runs right
  // before every produce run and each run is compared with its own dd figure.
  const disks: number[] = [await diskWriteBandwidth(dataDir)];
  console.log(
    `disk sequential write (dd bs=1M count=512 conv=fdatasync): ${num(disks[0] / 1e6, 1)} MB/s`,
  );

  const broker = await spawnBroker({ dataDir });
  // kcat -P's input files live outside the broker's data dir (and its dd figures).
  const linesDir = await Deno.makeTempDir({ prefix: "sa-bench-lines-" });
  console.log(`broker pid ${broker.pid} at ${broker.address} (fsync interval, defaults)\n`);
  const rows: Row[] = [];
  let rdLatency: number[] = [], jsLatency: number[] = [];
  try {
    // Latency first, before the throughput rows leave gigabytes of dirty pages for the kernel
    // to write back (writeback throttling would stall the broker's writes and pollute p99).
    await createTopic(broker.address, "bench-latency");
    if (!missing) {
      const r = await runJson<{ latencies_ms: number[] }>(PYTHON, [
        RDKAFKA,
        "latency",
        broker.address,
        "bench-latency",
        "100",
        "1000",
        quick ? "3" : "10",
      ]);
      rdLatency = r.latencies_ms;
    }
    jsLatency = await kafkajsLatency(broker.address, "bench-latency", 1000, quick ? 3 : 10);
    const only = Deno.env.get("SA_BENCH_ONLY");
    for (const client of ["librdkafka", "kcat", "kafkajs"]) {
      if (only && only !== client) continue;
      if (client !== "kafkajs" && missing) {
        console.log(`librdkafka rows skipped: ${missing}`);
        continue;
      }
      for (const size of [100, 1024]) {
        for (const acks of ["1", "all"]) {
          const count = COUNTS[client][size];
          const produces: Throughput[] = [], consumes: Throughput[] = [];
          for (let run = 0; run < RUNS; run++) {
            const topic = `bench-${client}-${size}-acks${acks}-${run}`;
            await createTopic(broker.address, topic);
            let produce: Throughput, consume: Throughput;
            const dd = await diskWriteBandwidth(dataDir);
            disks.push(dd);
            const brokerCpu0 = await cpuSeconds(broker.pid);
            if (client === "librdkafka") {
              produce = await runJson<Throughput>(PYTHON, [
                RDKAFKA,
                "produce",
                broker.address,
                topic,
                String(size),
                String(count),
                acks,
              ]);
              // +1: the producer's warm-up message (same size).
              consume = await kcatConsume(broker.address, topic, count + 1, size);
            } else if (client === "kcat") {
              const file = await lineFile(linesDir, size, count);
              produce = await kcatProduce(broker.address, topic, file, size, count, acks);
              consume = await kcatConsume(broker.address, topic, count, size);
            } else {
              produce = await kafkajsProduce(
                broker.address,
                topic,
                size,
                count,
                acks === "all" ? -1 : 1,
              );
              consume = await kafkajsConsume(broker.address, topic, count + 1);
            }
            produce.brokerCpu = (await cpuSeconds(broker.pid)) - brokerCpu0;
            produce.disk = dd;
            produces.push(produce);
            consumes.push(consume);
            await deleteTopic(broker.address, topic); // bounds disk use and dirty pages
            console.log(
              `${client} ${size} B acks=${acks}: produce ${
                rate(produce).join(" msgs/s, ")
              } MB/s (dd ${num(dd / 1e6)} MB/s); ` +
                `consume ${rate(consume).join(" msgs/s, ")} MB/s`,
            );
          }
          rows.push({
            client,
            size,
            acks,
            produce: median(produces),
            consume: median(consumes),
            diskRatios: produces.map((p) => p.bytes / p.seconds / p.disk!),
          });
        }
      }
    }
  } finally {
    await broker.stop();
    await Deno.remove(linesDir, { recursive: true }).catch(() => {});
    if (!keep) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }

  console.log(
    "\n## Throughput (4 partitions, no compression; librdkafka 2.0.2: confluent-kafka " +
      "producer, or kcat -P producer; kcat consumer for both" +
      `${RUNS > 1 ? `; median of ${RUNS} runs` : ""})\n`,
  );
  console.log(table(
    [
      "client",
      "size",
      "acks",
      "messages",
      "produce msgs/s",
      "produce MB/s",
      "broker/disk",
      "consume msgs/s",
      "consume MB/s",
    ],
    rows.map((r) => [
      r.client,
      `${r.size} B`,
      r.acks,
      num(r.produce.msgs),
      ...rate(r.produce),
      `${num(percentile(r.diskRatios, 50), 2)}x`,
      ...rate(r.consume),
    ]),
  ));

  // Client and broker share this machine's cores, so the produce rate is bounded by their
  // summed CPU per MB; the broker's own cost per MB is what a dedicated core would sustain.
  const cpuRows = rows.filter((r) => r.produce.cpu !== undefined && r.produce.brokerCpu);
  if (cpuRows.length) {
    console.log("\n## Produce CPU cost (CPU ms per MB produced; librdkafka clients)\n");
    console.log(table(
      [
        "client",
        "size",
        "acks",
        "broker ms/MB",
        "client ms/MB",
        "broker MB/s per core",
        "2-core ceiling",
      ],
      cpuRows.map((r) => {
        const mb = r.produce.bytes / 1e6;
        const b = r.produce.brokerCpu! * 1000 / mb, c = r.produce.cpu! * 1000 / mb;
        const cores = navigator.hardwareConcurrency;
        return [
          r.client,
          `${r.size} B`,
          r.acks,
          num(b, 2),
          num(c, 2),
          num(1000 / b),
          `${num(cores * 1000 / (b + c))} MB/s`,
        ];
      }),
    ));
    console.log(
      "(2-core ceiling: the rate at which broker and client together would use every core)",
    );
  }

  console.log("\n## Produce latency, acks=all, 100 B at 1,000 msgs/s (send -> ack)\n");
  const latRows = [["librdkafka", rdLatency], ["kafkajs", jsLatency]] as const;
  console.log(table(
    ["client", "messages", "p50 ms", "p99 ms", "p99.9 ms", "max ms"],
    latRows.filter(([, l]) => l.length > 0).map(([name, l]) => [
      name,
      num(l.length),
      num(percentile(l, 50), 2),
      num(percentile(l, 99), 2),
      num(percentile(l, 99.9), 2),
      num(Math.max(...l), 2),
    ]),
  ));

  const rd = rows.filter((r) => r.client === "librdkafka" || r.client === "kcat");
  // Per librdkafka producer, both 1 KB rows count: the disk, not acks, decides most of the
  // spread between runs. The target takes the producer that loads the broker most.
  const byProducer = ["kcat", "librdkafka"].map((client) => {
    const ratios = rd.filter((r) => r.client === client && r.size === 1024)
      .flatMap((r) => r.diskRatios);
    return { client, ratios, median: ratios.length ? percentile(ratios, 50) : 0 };
  }).filter((p) => p.ratios.length > 0).sort((a, b) => b.median - a.median);
  const best = byProducer[0] ?? { ratios: [], median: 0 };
  const ratio = best.median;
  const bestProduce = Math.max(...rd.map((r) => mbps(r.produce.bytes, r.produce.seconds)));
  const disk = percentile(disks, 50);
  const bestConsume = Math.max(...rows.map((r) => mbps(r.consume.bytes, r.consume.seconds)));
  const p99 = percentile(rdLatency.length ? rdLatency : jsLatency, 99);
  const targets: [string, boolean, string][] = [
    [
      "produce >= 0.5 x disk write bandwidth (batched librdkafka)",
      ratio >= 0.5,
      byProducer.map((p) =>
        `${p.client === "kcat" ? "kcat -P" : "confluent-kafka"} median ${num(p.median, 2)}x`
      ).join(", ") +
      ` over the 1 KB runs (each run's MB/s / the dd figure taken just before it: ` +
      `${best.ratios.map((r) => num(r, 2)).join(", ")}); best rate ` +
      `${num(bestProduce, 1)} MB/s; dd ${num(Math.min(...disks) / 1e6)}–` +
      `${num(Math.max(...disks) / 1e6)} MB/s over ${disks.length} samples`,
    ],
    ["consume >= 400 MB/s", bestConsume >= 400, `${num(bestConsume, 1)} MB/s`],
    [
      "p99 produce latency < 5 ms (acks=all, 1,000 msgs/s)",
      p99 < 5,
      `${num(p99, 2)} ms (${rdLatency.length ? "librdkafka" : "kafkajs"})`,
    ],
  ];
  console.log("\n## Targets\n");
  for (const [what, ok, figure] of targets) {
    console.log(`${ok ? "MET    " : "MISSED "} ${what}: ${figure}`);
  }
  const costs = rd.filter((r) => r.produce.brokerCpu && r.size === 1024)
    .map((r) => r.produce.brokerCpu! * 1000 / (r.produce.bytes / 1e6));
  if (costs.length) {
    const perCore = 1000 / Math.min(...costs);
    console.log(
      `context: the broker spends ${num(Math.min(...costs), 2)} CPU ms per MB of 1 KB ` +
        `messages, i.e. ${num(perCore)} MB/s per dedicated core = ` +
        `${num(perCore / (disk / 1e6), 2)} x disk; here the client shares the same cores.`,
    );
  }
}

if (import.meta.main) await main();
