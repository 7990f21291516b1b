/**
 * Pipeline benchmark (`deno task bench:pipeline`).
 *
 * Against the embedded broker (`sa broker` as a subprocess, so it never shares a thread with
 * what is measured):
 *
 * 1. Throughput of normalize on the stream runtime, end to end: N demo messages preloaded in a
 *    topic, consumed, normalized, produced and committed. The same work by a hand-written
 *    kafkajs consume → transform → produce loop, and by the same loop in Python with
 *    confluent-kafka (librdkafka). Rates are measured from the output topic's end offset,
 *    from its first row to its last, so group joins and start-up are not counted for anyone.
 * 2. End-to-end latency at 1,000 msgs/s: a producer paced like replay, normalize running in its
 *    sandbox worker (as under `sa up`), a consumer on the output; latency = receive time −
 *    the input message's timestamp, which the runtime forwards to the output rows.
 * 3. `sa up` on a copy of this repo's project: time to ready, and the process's RSS (broker
 *    and every app worker live in that one process) after it ran for a while.
 *
 * Usage: deno task bench:pipeline [--messages N] [--rounds R] [--latency-seconds S]
 *          [--only throughput|latency|up] [--broker host:port (instead of the embedded one)]
 *
 * Throughput runs R interleaved rounds (runtime, kafkajs, python, runtime, ...) and reports
 * the median and the range of each rate and of the per-round ratios. Environment:
 * `BENCH_CONTENDERS=runtime,kafkajs` runs only those; `BENCH_CPU_PROF_DIR=dir` writes a V8
 * CPU profile of each JS contender run there (`--cpu-prof`).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Admin, Kafka, type KafkaMessage, logLevel } from "kafkajs";
import type { Buffer } from "node:buffer";
import { Application } from "../mod.ts";
import { normalize, type SensorMessage } from "../apps/normalize.ts";
import { AppSandbox } from "../lib/runner/sandbox.ts";
import { sandboxGrant } from "../lib/runner/permissions.ts";
import { cpuSeconds, num, percentile, table } from "./_util.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "cli.ts");
const PYTHON = "/usr/bin/python3";

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const MESSAGES = arg("messages", 50_000);
const LATENCY_SECONDS = arg("latency-seconds", 10);
const ROUNDS = arg("rounds", 5);
const ONLY = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : "";
const runs = (part: string) => ONLY === "" || ONLY === part;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A subprocess whose output is collected in the background. */
function spawn(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
) {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "", err = "";
  const dec = () => new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    const d = dec();
    for await (const c of s) add(d.decode(c, { stream: true }));
  };
  const done = Promise.all([
    pump(child.stdout, (t) => out += t),
    pump(child.stderr, (t) => err += t),
  ]);
  const status = child.status.then(async (s) => (await done, s));
  return {
    child,
    status,
    out: () => out,
    err: () => err,
    async waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = re.exec(out + err);
        if (m) return m;
        if (Date.now() > end) throw new Error(`timed out waiting for ${re}:\n${out}\n${err}`);
        await sleep(10);
      }
    },
    async stop(signal: Deno.Signal = "SIGTERM") {
      try {
        child.kill(signal);
      } catch { /* gone */ }
      return await status;
    },
  };
}

/** The broker subprocess, for its CPU figures (-1, read as NaN, with an external broker). */
let brokerPid = -1;

async function startBrokerProcess(dataDir: string) {
  const p = spawn(Deno.execPath(), [
    "run",
    "-A",
    CLI,
    "broker",
    "--port",
    "0",
    "--data-dir",
    dataDir,
    "--log-level",
    "info",
  ]);
  const m = await p.waitFor(/listening on (127\.0\.0\.1:\d+)/);
  brokerPid = p.child.pid;
  return { address: m[1], stop: () => p.stop() };
}

function kafka(address: string): Kafka {
  return new Kafka({ brokers: [address], clientId: "bench", logLevel: logLevel.NOTHING });
}

async function demoLines(): Promise<string[]> {
  const text = await Deno.readTextFile(join(ROOT, "demo_stream.json"));
  return text.split("\n").filter((l) => l.trim());
}

/** normalize's rule, computed directly: how many rows N messages give. */
function rowsFor(lines: string[]): number {
  let n = 0;
  for (const l of lines) {
    for (const p of JSON.parse(l).payload) {
      if (p.name === "accelerometer") {
        const { x, y, z } = p.values;
        if (Math.abs(x) + Math.abs(y) + Math.abs(z) > 50) n++;
      }
    }
  }
  return n;
}

/** A contender's run: output rate, wall time, and the CPU time its process used meanwhile. */
interface Measured {
  rowsPerSec: number;
  seconds: number;
  cpu: number;
  /** CPU seconds the broker process used meanwhile (NaN with an external broker). */
  brokerCpu: number;
}

/**
 * Times a contender: from the moment its consumer group is Stable (joined, partitions
 * assigned: start-up and joins are not counted) until the output topic holds every row.
 */
async function measureOutput(
  admin: Admin,
  group: string,
  topic: string,
  target: number,
  pid: number,
  timeoutMs = 300_000,
): Promise<Measured> {
  const end = Date.now() + timeoutMs;
  let t0 = 0;
  let cpu0 = 0, brokerCpu0 = 0;
  for (;;) {
    if (t0 === 0) {
      const { groups } = await admin.describeGroups([group]);
      if (groups[0]?.state === "Stable") {
        t0 = performance.now();
        cpu0 = await cpuSeconds(pid);
        brokerCpu0 = await cpuSeconds(brokerPid);
      }
    }
    let high = 0;
    try {
      const offs = await admin.fetchTopicOffsets(topic);
      high = offs.reduce((s, o) => s + Number(o.high), 0);
    } catch { /* topic not created yet */ }
    if (high > 0 && t0 === 0) {
      throw new Error(`${group}: rows appeared before the group was seen Stable`);
    }
    if (high >= target) {
      const seconds = (performance.now() - t0) / 1000;
      return {
        rowsPerSec: target / seconds,
        seconds,
        cpu: (await cpuSeconds(pid)) - cpu0,
        brokerCpu: (await cpuSeconds(brokerPid)) - brokerCpu0,
      };
    }
    if (Date.now() > end) throw new Error(`${topic}: only ${high} of ${target} rows`);
    await sleep(5);
  }
}

/** Checkpoint period of every contender: the runtime's default commitInterval. */
const COMMIT_INTERVAL_MS = 5000;

/** One output row of the hand-written loop, as kafkajs takes it. */
interface OutRow {
  key: Buffer | null;
  value: string;
  timestamp: string;
}

// The transform the baselines do by hand: exactly normalize's steps (expand, transpose, keep
// rows with accelerometer-x, project, total, keep > 50), keeping the message's key and
// timestamp on its rows as the runtime does.
function transformMessage(m: KafkaMessage, out: OutRow[]): void {
  normalizeValue(
    m.value!.toString(),
    (value) => out.push({ key: m.key, value, timestamp: m.timestamp }),
  );
}

/** normalize's work on one raw message's text: each output row's JSON goes to `emit`. */
function normalizeValue(text: string, emit: (json: string) => void): void {
  const msg = JSON.parse(text) as SensorMessage;
  for (const item of msg.payload) {
    const row: Record<string, number | string> = { time: item.time };
    for (const [k, v] of Object.entries(item.values)) row[`${item.name}-${k}`] = v;
    if (row["accelerometer-x"] == null) continue;
    const x = row["accelerometer-x"] as number;
    const y = row["accelerometer-y"] as number;
    const z = row["accelerometer-z"] as number;
    const total = Math.abs(x) + Math.abs(y) + Math.abs(z);
    if (total > 50) {
      emit(JSON.stringify({
        time: row.time,
        "accelerometer-x": x,
        "accelerometer-y": y,
        "accelerometer-z": z,
        "accelerometer-total": total,
      }));
    }
  }
}

/** normalize on the runtime (no printing: the baselines do not print either). */
async function runtimeContender(
  address: string,
  group: string,
  input: string,
  output: string,
  signal: AbortSignal,
) {
  const app = new Application({
    brokerAddress: address,
    consumerGroup: group,
    autoOffsetReset: "earliest",
    commitInterval: COMMIT_INTERVAL_MS,
    handleSignals: false,
    logLevel: "WARN",
  });
  normalize(app.dataframe(app.topic<SensorMessage>(input))).toTopic(app.topic(output));
  await app.run({ signal });
}

/**
 * Hand-written kafkajs loop: eachBatch → transform → one send (acks all, awaited) → commit
 * when the checkpoint period is over (and at the end), as the runtime does.
 */
async function kafkajsLoop(
  address: string,
  group: string,
  input: string,
  output: string,
  signal: AbortSignal,
) {
  const k = kafka(address);
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
      for (const m of batch.messages) transformMessage(m, rows);
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

// normalize's work on one raw message in Python, shared by the loop and the floor: the same
// steps as transformMessage, compact JSON like JSON.stringify.
const PY_NORMALIZE = `
import json
def normalize(raw):
    out = []
    msg = json.loads(raw)
    for item in msg["payload"]:
        row = {"time": item["time"]}
        for k, v in item["values"].items():
            row[item["name"] + "-" + k] = v
        if row.get("accelerometer-x") is None:
            continue
        r = {k: row[k] for k in ("time", "accelerometer-x", "accelerometer-y", "accelerometer-z")}
        r["accelerometer-total"] = abs(r["accelerometer-x"]) + abs(r["accelerometer-y"]) + abs(r["accelerometer-z"])
        if r["accelerometer-total"] > 50:
            out.append(json.dumps(r, separators=(",", ":")).encode())
    return out
`;

// The same loop as kafkajsLoop with confluent-kafka: PY_NORMALIZE's steps, key and timestamp
// kept, acks all (idempotent), flush + commit every COMMIT_INTERVAL_MS.
const PY_LOOP = `${PY_NORMALIZE}
import sys, time
from confluent_kafka import Consumer, Producer
address, group, input_topic, output_topic = sys.argv[1:5]
commit_interval = ${COMMIT_INTERVAL_MS / 1000}
c = Consumer({"bootstrap.servers": address, "group.id": group,
              "auto.offset.reset": "earliest", "enable.auto.commit": False,
              "fetch.max.bytes": 52428800, "max.partition.fetch.bytes": 4194304})
p = Producer({"bootstrap.servers": address, "enable.idempotence": True, "linger.ms": 5})
c.subscribe([input_topic])
print("ready", flush=True)
last_commit = time.monotonic()
pending = False
while True:
    msgs = c.consume(num_messages=1000, timeout=0.5)
    for m in msgs:
        if m.error():
            continue
        pending = True
        key = m.key()
        ts = m.timestamp()[1]
        for value in normalize(m.value()):
            while True:
                try:
                    p.produce(output_topic, value, key=key, timestamp=ts)
                    break
                except BufferError:
                    p.poll(0.01)
    p.poll(0)
    if pending and time.monotonic() - last_commit >= commit_interval:
        p.flush()
        c.commit(asynchronous=False)
        pending = False
        last_commit = time.monotonic()
`;
// normalize's work alone in Python (PY_NORMALIZE), from the raw bytes in memory. Best of N
// passes.
const PY_FLOOR = `${PY_NORMALIZE}
import sys, time
lines = open(sys.argv[1], "rb").read().split(b"\\n")
lines = [l for l in lines if l.strip()]
best = None
for _ in range(int(sys.argv[2])):
    t0 = time.perf_counter()
    n = 0
    for raw in lines:
        n += len(normalize(raw))
    dt = time.perf_counter() - t0
    best = dt if best is None else min(best, dt)
print(json.dumps({"seconds": best, "rows": n}))
`;

/**
 * The floor: normalize's work with no Kafka client and no broker (decode, JSON.parse,
 * transpose, filter, total, JSON.stringify per row), from the raw bytes in memory, in JS and
 * in Python. Best of `passes` passes, each in its own process. No client can make the runtime
 * faster than the JS figure, which bounds the runtime / Python-loop ratio.
 */
async function workFloor(input: string[], passes = 5): Promise<{ js: number; python: number }> {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  const py = await Deno.makeTempFile({ suffix: ".py" });
  try {
    await Deno.writeTextFile(file, input.join("\n"));
    await Deno.writeTextFile(py, PY_FLOOR);
    const jsOut = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(import.meta.url), "--floor", file, String(passes)],
      stderr: "inherit",
    }).output();
    const pyOut = await new Deno.Command(PYTHON, { args: [py, file, String(passes)] }).output();
    if (!jsOut.success || !pyOut.success) {
      throw new Error(`floor run failed: ${new TextDecoder().decode(pyOut.stderr)}`);
    }
    const js = JSON.parse(new TextDecoder().decode(jsOut.stdout)).seconds as number;
    const python = JSON.parse(new TextDecoder().decode(pyOut.stdout)).seconds as number;
    return { js: input.length / js, python: input.length / python };
  } finally {
    await Deno.remove(file);
    await Deno.remove(py);
  }
}

/** `--floor <file> <passes>`: the JS half of {@link workFloor}, in a fresh process. */
async function floorMain(): Promise<void> {
  const i = Deno.args.indexOf("--floor");
  const text = await Deno.readFile(Deno.args[i + 1]);
  const raw: Uint8Array[] = [];
  for (let s = 0, e = 0; s < text.length; s = e + 1) {
    e = text.indexOf(10, s);
    if (e < 0) e = text.length;
    raw.push(text.subarray(s, e));
  }
  const decoder = new TextDecoder();
  let best = Infinity;
  for (let p = 0; p < Number(Deno.args[i + 2]); p++) {
    const t0 = performance.now();
    let rows = 0;
    for (const bytes of raw) normalizeValue(decoder.decode(bytes), () => rows++);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  console.log(JSON.stringify({ seconds: best }));
  Deno.exit(0);
}

import { filterKafkajsTimerWarning } from "../lib/stream/kafka/_kafka.ts";

// kafkajs' idle timers would print a Node TimeoutNegativeWarning into the figures.
filterKafkajsTimerWarning();

/** Median, min and max of a non-empty list. */
function spread(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

const CONTENDERS = [
  { name: "sa runtime (normalize)", kind: "runtime" },
  { name: "kafkajs loop", kind: "kafkajs" },
  { name: "python confluent-kafka loop", kind: "python" },
] as const;
type Kind = typeof CONTENDERS[number]["kind"];

/**
 * One timed run of a contender in its own process (so the measuring loop here is never
 * starved by the work it measures), with a fresh group and output topic.
 */
async function runContender(
  address: string,
  kind: Kind,
  round: number,
  expected: number,
  pyScript: string,
): Promise<Measured> {
  const group = `bench-${kind}-${crypto.randomUUID()}`;
  const out = `bench-out-${kind}-${round}`;
  const prof = Deno.env.get("BENCH_CPU_PROF_DIR");
  // The admin connects and the output topic exists before the contender starts: its group
  // turning Stable is then seen at once, whichever contender starts faster, and no one pays
  // for auto-creating the topic on its first produce.
  const admin = kafka(address).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: out, numPartitions: 1 }], waitForLeaders: true });
  const proc = kind === "python"
    ? spawn(PYTHON, [pyScript, address, group, "bench-in", out])
    : spawn(Deno.execPath(), [
      "run",
      "-A",
      "--unstable-worker-options",
      ...(prof
        ? ["--cpu-prof", `--cpu-prof-dir=${prof}`, `--cpu-prof-name=${kind}-${round}.cpuprofile`]
        : []),
      fileURLToPath(import.meta.url),
      "--contender",
      kind,
      address,
      group,
      "bench-in",
      out,
    ]);
  try {
    return await measureOutput(admin, group, out, expected, proc.child.pid);
  } catch (err) {
    throw new Error(`${kind} (round ${round}) failed: ${(err as Error).message}\n${proc.err()}`);
  } finally {
    // SIGTERM lets a profiled contender write its profile; Python is simply killed.
    await proc.stop(kind === "python" ? "SIGKILL" : "SIGTERM");
    await admin.disconnect();
  }
}

async function throughput(address: string) {
  const lines = await demoLines();
  const input: string[] = [];
  while (input.length < MESSAGES) input.push(...lines);
  input.length = MESSAGES;
  const expected = rowsFor(input);
  const producer = kafka(address).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < input.length; i += 250) {
    await producer.send({
      topic: "bench-in",
      acks: -1,
      messages: input.slice(i, i + 250).map((value) => ({ key: "demo_stream.json", value })),
    });
  }
  await producer.disconnect();
  console.error(`preloaded ${num(MESSAGES)} messages (${num(expected)} rows expected)`);
  const pyScript = await Deno.makeTempFile({ suffix: ".py" });
  await Deno.writeTextFile(pyScript, PY_LOOP);
  const only = (Deno.env.get("BENCH_CONTENDERS") ?? "").split(",").filter(Boolean);
  const contenders = CONTENDERS.filter((c) => only.length === 0 || only.includes(c.kind));
  // Interleaved rounds (runtime, loop, python, runtime, ...): the machine is shared, so a
  // load spike hits every contender alike instead of one of them.
  const rates = new Map<Kind, number[]>(contenders.map((c) => [c.kind, []]));
  // CPU ms per 1,000 input messages, per contender.
  const cpus = new Map<Kind, number[]>(contenders.map((c) => [c.kind, []]));
  const brokerCpus = new Map<Kind, number[]>(contenders.map((c) => [c.kind, []]));
  const ratios = { kafkajs: [] as number[], python: [] as number[] };
  const cpuRatios = { kafkajs: [] as number[], python: [] as number[] };
  const loads: string[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const got: Partial<Record<Kind, Measured>> = {};
      for (const c of contenders) {
        try {
          const r = await runContender(address, c.kind, round, expected, pyScript);
          got[c.kind] = r;
          rates.get(c.kind)!.push(r.rowsPerSec);
          if (Number.isFinite(r.cpu)) cpus.get(c.kind)!.push(r.cpu / MESSAGES * 1e6);
          if (Number.isFinite(r.brokerCpu)) {
            brokerCpus.get(c.kind)!.push(r.brokerCpu / MESSAGES * 1e6);
          }
        } catch (err) {
          console.error((err as Error).message);
        }
      }
      for (const other of ["kafkajs", "python"] as const) {
        const rt = got.runtime, o = got[other];
        if (!rt || !o) continue;
        ratios[other].push(rt.rowsPerSec / o.rowsPerSec);
        if (rt.cpu > 0 && o.cpu > 0) cpuRatios[other].push(o.cpu / rt.cpu);
      }
      const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ")[0];
      loads.push(load);
      console.error(
        `round ${round}/${ROUNDS}: ` +
          contenders.map((c) => {
            const r = got[c.kind];
            return `${c.kind} ${num((r?.rowsPerSec ?? NaN) * MESSAGES / expected)} msgs/s ` +
              `(${num((r?.cpu ?? NaN) / MESSAGES * 1e6)} CPU ms/1k)`;
          }).join(", ") +
          ` (load ${load})`,
      );
    }
  } finally {
    await Deno.remove(pyScript);
  }
  const inPerRow = MESSAGES / expected;
  console.log(
    `\n== normalize throughput, ${num(MESSAGES)} messages → ${num(expected)} rows, ` +
      `${ROUNDS} interleaved rounds (median [min–max])`,
  );
  const cell = (v: number[], f = 1) => {
    if (v.length === 0) return "-";
    const s = spread(v.map((x) => x * f));
    return `${num(s.median)} [${num(s.min)}–${num(s.max)}]`;
  };
  console.log(table(
    ["contender", "msgs/s in", "rows/s out", "CPU ms per 1k msgs", "broker CPU ms/1k", "rounds"],
    contenders.map((c) => {
      const v = rates.get(c.kind)!;
      return [
        c.name,
        cell(v, inPerRow),
        cell(v),
        cell(cpus.get(c.kind)!),
        cell(brokerCpus.get(c.kind)!),
        String(v.length),
      ];
    }),
  ));
  const ratio = (v: number[]) => {
    if (v.length === 0) return "-";
    const s = spread(v);
    return `${s.median.toFixed(2)}x [${s.min.toFixed(2)}–${s.max.toFixed(2)}]`;
  };
  console.log(
    `runtime / kafkajs loop = ${ratio(ratios.kafkajs)} (target >= 0.9x); ` +
      `runtime / python loop = ${ratio(ratios.python)} (target >= 3x)\n` +
      `CPU efficiency (their CPU per message / the runtime's): kafkajs loop ${
        ratio(cpuRatios.kafkajs)
      }, python loop ${ratio(cpuRatios.python)}\n` +
      `per-round ratios; host load average ${loads.join(" ")} on ` +
      `${navigator.hardwareConcurrency} cores`,
  );
  const floor = await workFloor(input);
  const py = rates.get("python") ?? [];
  const pyLoop = py.length ? spread(py).median * inPerRow : NaN;
  console.log(
    `\n== the work alone, no Kafka (decode, parse, normalize, stringify; best of 5 passes)\n` +
      `JS ${num(floor.js)} msgs/s (${(1e6 / floor.js).toFixed(1)} µs/msg); ` +
      `Python ${num(floor.python)} msgs/s (${(1e6 / floor.python).toFixed(1)} µs/msg)\n` +
      `ceiling with a free client and a free broker: runtime / python loop <= ` +
      `${(floor.js / pyLoop).toFixed(2)}x (JS floor / python loop median)`,
  );
}

async function latency(address: string) {
  const lines = await demoLines();
  const entry = join(ROOT, "apps/normalize.ts");
  const app = await AppSandbox.load({
    name: "normalize",
    entry,
    grant: sandboxGrant({ entry, brokers: [address] }),
    onOutput: () => {},
  });
  app.start({ input: "lat-in", output: "lat-out" }, { SA_BROKER: address });
  const k = kafka(address);
  const consumer = k.consumer({
    groupId: `bench-lat-${crypto.randomUUID()}`,
    maxWaitTimeInMs: 100,
  });
  const latencies: number[] = [];
  let measuring = false;
  await consumer.connect();
  await consumer.subscribe({ topic: "lat-out", fromBeginning: false });
  await consumer.run({
    eachMessage: ({ message }) => {
      if (measuring) {
        const l = Date.now() - Number(message.timestamp);
        latencies.push(l);
        if (Deno.env.get("BENCH_DEBUG") && l > 20) {
          console.error(`slow row: ${l} ms at ${Date.now() % 100000}`);
        }
      }
      return Promise.resolve();
    },
  });
  // The producer replay uses (the runtime's batching producer), stamping each message when
  // it is handed over, as replay does.
  const producerApp = new Application({
    brokerAddress: address,
    logLevel: "WARN",
    handleSignals: false,
  });
  const latIn = producerApp.topic<string, string>("lat-in", { valueSerializer: "string" });
  const producer = await producerApp.getProducer();
  const send = (value: string) =>
    producer.produce(latIn, { key: "demo_stream.json", value, timestamp: Date.now() });
  // Warm-up: let normalize join its group and the consumer get its partition.
  for (let i = 0; i < 200; i++) send(lines[i % lines.length]);
  await producer.flush();
  await sleep(3000);
  measuring = true;
  // 1,000 msgs/s: one message per ms on average, sent as they come due (like replay).
  const total = LATENCY_SECONDS * 1000;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    send(lines[i % lines.length]);
  }
  await producer.flush();
  const rate = total / ((performance.now() - start) / 1000);
  await sleep(2000);
  measuring = false;
  await producer.close();
  await consumer.disconnect();
  await app.stop();
  console.log(
    `\n== end-to-end latency, produce → normalize (sandboxed worker) → output, ` +
      `${num(rate)} msgs/s for ${LATENCY_SECONDS} s`,
  );
  console.log(table(["rows", "p50 ms", "p99 ms", "max ms"], [[
    num(latencies.length),
    num(percentile(latencies, 50)),
    num(percentile(latencies, 99)),
    num(Math.max(...latencies)),
  ]]));
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ")[0];
  console.log(
    `p99 target < 20 ms: ${percentile(latencies, 99) < 20 ? "met" : "NOT met"}` +
      (load ? ` (host load average ${load} on ${navigator.hardwareConcurrency} cores)` : ""),
  );
}

async function upReadyAndRss() {
  const dir = await Deno.makeTempDir({ prefix: "sa-bench-up-" });
  try {
    await Deno.mkdir(join(dir, "apps"));
    for (const f of ["apps/replay.ts", "apps/normalize.ts", "demo_stream.json", "sa.yaml"]) {
      await Deno.copyFile(join(ROOT, f), join(dir, f));
    }
    const repo = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
    const imports: Record<string, string> = { "@sa/toolkit": join(ROOT, "mod.ts") };
    for (const [k, v] of Object.entries(repo.imports as Record<string, string>)) {
      if (v.startsWith("npm:")) imports[k] = v;
    }
    await Deno.writeTextFile(
      join(dir, "deno.json"),
      JSON.stringify({ imports, nodeModulesDir: "none", lock: false }),
    );
    const t0 = performance.now();
    const up = spawn(
      Deno.execPath(),
      ["run", "-A", "--unstable-worker-options", CLI, "up", "--port", "0"],
      { cwd: dir, env: { NO_COLOR: "1" } },
    );
    const m = await up.waitFor(/ready in (\d+) ms/);
    const wall = performance.now() - t0;
    await up.waitFor(/normalize \| \[\d+,/, 15_000);
    const firstRow = performance.now() - t0;
    let peak = 0;
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      const status = await Deno.readTextFile(`/proc/${up.child.pid}/status`);
      const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
      peak = Math.max(peak, kb);
    }
    await up.stop("SIGINT");
    console.log("\n== sa up on this repo's pipeline (replay → normalize, embedded broker)");
    console.log(table(["ready (sa's clock)", "ready (spawn → line)", "first row", "peak RSS"], [[
      `${m[1]} ms`,
      `${num(wall)} ms`,
      `${num(firstRow)} ms`,
      `${num(peak / 1024, 1)} MB`,
    ]]));
    console.log(
      `targets: ready < 2 s ${Number(m[1]) < 2000 ? "met" : "NOT met"}; RSS < 200 MB ${
        peak / 1024 < 200 ? "met" : "NOT met"
      }`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function contenderMain(): Promise<void> {
  const i = Deno.args.indexOf("--contender");
  const [kind, address, group, input, output] = Deno.args.slice(i + 1);
  const ctl = new AbortController();
  Deno.addSignalListener("SIGTERM", () => ctl.abort());
  console.log("ready");
  if (kind === "runtime") await runtimeContender(address, group, input, output, ctl.signal);
  else await kafkajsLoop(address, group, input, output, ctl.signal);
  Deno.exit(0);
}

if (Deno.args.includes("--contender")) await contenderMain();
if (Deno.args.includes("--floor")) await floorMain();

const external = Deno.args.includes("--broker")
  ? Deno.args[Deno.args.indexOf("--broker") + 1]
  : undefined;
const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-pipeline-" });
const broker = external
  ? { address: external, stop: () => Promise.resolve() }
  : await startBrokerProcess(dataDir);
try {
  console.error(`broker subprocess at ${broker.address}`);
  if (runs("throughput")) await throughput(broker.address);
  if (runs("latency")) await latency(broker.address);
} finally {
  await broker.stop();
  await Deno.remove(dataDir, { recursive: true });
}
if (runs("up")) await upReadyAndRss();
