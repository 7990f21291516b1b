/**
 * Pipeline benchmark (`deno task bench:pipeline`): the runtime's speed targets (issue 11) in
 * one table, for this tree and, with `--baseline-ref`, an older commit side by side.
 *
 * Against the embedded broker (`sa broker` as a subprocess, so it never shares a thread with
 * what is measured):
 *
 * 1. Throughput of normalize on the stream runtime, end to end: N demo messages preloaded in a
 *    topic, consumed, normalized, produced and committed, at-least-once and exactly-once
 *    (`bench/_pipeline_runtime.ts`). The same work by a hand-written kafkajs loop and by the
 *    same loop in Python with confluent-kafka (librdkafka). Rates are measured from the output
 *    topic's end offset, from the group turning Stable to the last row, so group joins and
 *    start-up are not counted for anyone; CPU is the contender process's over that window.
 * 2. The work alone, no Kafka (the floor): decode, parse, normalize, stringify, in JS and
 *    Python.
 * 3. End-to-end latency at 1,000 msgs/s, normalize in its sandbox worker as under `sa up`
 *    (`bench/_pipeline_latency.ts`).
 * 4. `bench:state`'s apps (stateless vs windowed vs windowed exactly-once), run from each
 *    tree.
 * 5. `sa up` on a copy of this repo's project: time to ready and RSS (this tree only).
 *
 * Usage: deno task bench:pipeline [--messages N] [--rounds R] [--latency-seconds S]
 *          [--latency-rounds N] [--state-messages N] [--state-rounds N]
 *          [--only throughput,latency,state,up]
 *          [--baseline-ref <git ref>] [--variant <label>:<NAME=value,...>]...
 *          [--broker host:port (instead of the embedded one)]
 *        deno task bench:pipeline --profile-summary <dir|file.cpuprofile> [--messages N]
 *
 * `--baseline-ref main` extracts that commit into a temp dir (`git archive | tar -x`, removed
 * after) and runs its runtime with this tree's contender scripts, interleaved with this tree's
 * runs. `--variant native:SA_KAFKA_CLIENT=native` adds this tree's runtime once more with that
 * environment (repeatable), e.g. to compare Kafka clients. Throughput runs R interleaved
 * rounds (each tree's runtime, its exactly-once run, kafkajs, python, ...) and reports
 * medians [min–max]; ratios are per round. Environment: `BENCH_CONTENDERS=runtime,python`
 * runs only those kinds (runtime, runtime-eos, kafkajs, python); `BENCH_CPU_PROF_DIR=dir`
 * writes a V8 CPU profile of each JS contender run there (`--cpu-prof`), which
 * `--profile-summary dir` sums up by self time per file and function.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { num, runJson, table } from "./_util.ts";
import {
  kafka,
  materialise,
  type Measured,
  measureOutput,
  spawn,
  spread,
  startBrokerProcess,
} from "./_pipeline_proc.ts";
import { demoLines, floorMain, PY_LOOP, PYTHON, rowsFor, workFloor } from "./_pipeline_work.ts";
import { type StateFigures, stateFigures } from "./_pipeline_state.ts";
import { profileFiles, summariseProfiles } from "./_pipeline_profile.ts";
import { upReadyAndRss } from "./_pipeline_up.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
function strArg(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}
const MESSAGES = arg("messages", 50_000);
const LATENCY_SECONDS = arg("latency-seconds", 10);
const STATE_MESSAGES = arg("state-messages", 100_000);
const ROUNDS = arg("rounds", 5);
const STATE_ROUNDS = arg("state-rounds", 2);
const LATENCY_ROUNDS = arg("latency-rounds", Math.min(ROUNDS, 3));
const ONLY = (strArg("only") ?? "").split(",").filter(Boolean);
const runs = (part: string) => ONLY.length === 0 || ONLY.includes(part);

/** A runtime to measure: a tree (this one or a baseline's) and environment added to it. */
interface Side {
  label: string;
  root: string;
  env: Record<string, string>;
}

/** `--variant label:NAME=value,NAME=value` (repeatable): this tree with that environment. */
function variants(): Side[] {
  const out: Side[] = [];
  Deno.args.forEach((a, i) => {
    if (a !== "--variant") return;
    const spec = Deno.args[i + 1] ?? "";
    const colon = spec.indexOf(":");
    const label = colon > 0 ? spec.slice(0, colon) : spec;
    const env: Record<string, string> = {};
    for (const pair of (colon > 0 ? spec.slice(colon + 1) : "").split(",").filter(Boolean)) {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error(`--variant ${spec}: expected label:NAME=value,...`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    if (!label) throw new Error(`--variant ${spec}: the label is empty`);
    out.push({ label, root: ROOT, env });
  });
  return out;
}

type Kind = "runtime" | "runtime-eos" | "kafkajs" | "python";
interface Contender {
  id: string;
  kind: Kind;
  name: string;
  side?: Side;
}

/** One latency run's figures (bench/_pipeline_latency.ts). */
interface Latency {
  rows: number;
  rate: number;
  p50: number;
  p99: number;
  max: number;
}

/** Per side: its figures as the summary table needs them. */
interface SideResults {
  rate: number[];
  cpu: number[];
  eosRate: number[];
  eosCpu: number[];
  vsPython: number[];
  eosSlower: number[];
  /** Per round: exactly-once CPU per message / at-least-once's. */
  eosCpuRatio: number[];
  latency?: Latency;
  /** µs per message of the runtime without Kafka (bench/_pipeline_inprocess.ts). */
  inProcess?: number;
  state?: StateFigures;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");

/**
 * One timed run of a contender in its own process (so the measuring loop here is never
 * starved by the work it measures), with a fresh group and output topic.
 */
async function runContender(
  broker: { address: string; pid: number },
  c: Contender,
  round: number,
  expected: number,
  pyScript: string,
): Promise<Measured> {
  const group = `bench-${c.id}-${crypto.randomUUID()}`;
  const out = `bench-out-${c.id}-${round}`;
  const prof = Deno.env.get("BENCH_CPU_PROF_DIR");
  // The admin connects and the output topic exists before the contender starts: its group
  // turning Stable is then seen at once, whichever contender starts faster, and no one pays
  // for auto-creating the topic on its first produce.
  const admin = kafka(broker.address).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: out, numPartitions: 1 }], waitForLeaders: true });
  const profArgs = prof
    ? ["--cpu-prof", `--cpu-prof-dir=${prof}`, `--cpu-prof-name=${c.id}-${round}.cpuprofile`]
    : [];
  const io = [broker.address, group, "bench-in", out];
  const root = c.side?.root ?? ROOT;
  const deno = (script: string, ...args: string[]) =>
    spawn(Deno.execPath(), [
      "run",
      "-A",
      "--unstable-worker-options",
      "--config",
      join(root, "deno.json"),
      ...profArgs,
      join(root, "bench", script),
      ...args,
    ], { cwd: root, env: c.side?.env });
  const proc = c.kind === "python"
    ? spawn(PYTHON, [pyScript, ...io])
    : c.kind === "kafkajs"
    ? deno("_pipeline_kafkajs.ts", ...io)
    : deno(
      "_pipeline_runtime.ts",
      c.kind === "runtime-eos" ? "exactly-once" : "at-least-once",
      ...io,
    );
  try {
    return await measureOutput(admin, group, out, expected, proc.child.pid, broker.pid);
  } catch (err) {
    throw new Error(`${c.name} (round ${round}) failed: ${(err as Error).message}\n${proc.err()}`);
  } finally {
    // SIGTERM lets a profiled contender write its profile; Python is simply killed.
    await proc.stop(c.kind === "python" ? "SIGKILL" : "SIGTERM");
    await admin.disconnect();
  }
}

const cell = (v: number[], f = 1) => {
  if (v.length === 0) return "-";
  const s = spread(v.map((x) => x * f));
  return v.length === 1 ? num(s.median) : `${num(s.median)} [${num(s.min)}–${num(s.max)}]`;
};
const median = (v: number[]) => v.length ? spread(v).median : NaN;

async function throughput(
  broker: { address: string; pid: number },
  sides: Side[],
  results: Map<Side, SideResults>,
): Promise<{ floorUs: number; pythonRate: number }> {
  const lines = await demoLines(ROOT);
  const input: string[] = [];
  while (input.length < MESSAGES) input.push(...lines);
  input.length = MESSAGES;
  const expected = rowsFor(input);
  const producer = kafka(broker.address).producer({ idempotent: true, maxInFlightRequests: 1 });
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
  const all: Contender[] = [];
  for (const side of sides) {
    all.push({ id: slug(`${side.label}-alo`), kind: "runtime", name: `${side.label}`, side });
    all.push({
      id: slug(`${side.label}-eos`),
      kind: "runtime-eos",
      name: `${side.label}, exactly-once`,
      side,
    });
  }
  all.push({ id: "kafkajs", kind: "kafkajs", name: "kafkajs loop (by hand)" });
  all.push({ id: "python", kind: "python", name: "python confluent-kafka loop" });
  const contenders = all.filter((c) => only.length === 0 || only.includes(c.kind));
  const rates = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
  const cpus = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
  const brokerCpus = new Map<string, number[]>(contenders.map((c) => [c.id, []]));
  const loads: string[] = [];
  const inPerRow = MESSAGES / expected;
  try {
    // Interleaved rounds: the machine is shared, so a load spike hits every contender alike
    // instead of one of them.
    for (let round = 1; round <= ROUNDS; round++) {
      const got = new Map<string, Measured>();
      for (const c of contenders) {
        try {
          const r = await runContender(broker, c, round, expected, pyScript);
          got.set(c.id, r);
          rates.get(c.id)!.push(r.rowsPerSec * inPerRow);
          if (Number.isFinite(r.cpu)) cpus.get(c.id)!.push(r.cpu / MESSAGES * 1e6);
          if (Number.isFinite(r.brokerCpu)) {
            brokerCpus.get(c.id)!.push(r.brokerCpu / MESSAGES * 1e6);
          }
        } catch (err) {
          console.error((err as Error).message);
        }
      }
      const py = got.get("python");
      for (const side of sides) {
        const res = results.get(side)!;
        const alo = got.get(slug(`${side.label}-alo`));
        const eos = got.get(slug(`${side.label}-eos`));
        if (alo && py) res.vsPython.push(alo.rowsPerSec / py.rowsPerSec);
        if (alo && eos) res.eosSlower.push(1 - eos.rowsPerSec / alo.rowsPerSec);
        if (alo && eos && alo.cpu > 0 && eos.cpu > 0) res.eosCpuRatio.push(eos.cpu / alo.cpu);
      }
      const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ")[0];
      loads.push(load);
      console.error(
        `round ${round}/${ROUNDS}: ` + contenders.map((c) => {
          const r = got.get(c.id);
          return `${c.id} ${num((r?.rowsPerSec ?? NaN) * inPerRow)} msgs/s ` +
            `(${num((r?.cpu ?? NaN) / MESSAGES * 1e6, 1)} µs CPU/msg)`;
        }).join(", ") + ` (load ${load})`,
      );
    }
  } finally {
    await Deno.remove(pyScript);
  }
  for (const side of sides) {
    const res = results.get(side)!;
    res.rate = rates.get(slug(`${side.label}-alo`)) ?? [];
    res.cpu = cpus.get(slug(`${side.label}-alo`)) ?? [];
    res.eosRate = rates.get(slug(`${side.label}-eos`)) ?? [];
    res.eosCpu = cpus.get(slug(`${side.label}-eos`)) ?? [];
  }
  console.log(
    `\n== normalize throughput, ${num(MESSAGES)} messages → ${num(expected)} rows, ` +
      `${ROUNDS} interleaved rounds (median [min–max])`,
  );
  console.log(table(
    ["contender", "msgs/s in", "rows/s out", "CPU µs/msg", "broker CPU µs/msg", "rounds"],
    contenders.map((c) => {
      const v = rates.get(c.id)!;
      return [
        c.name,
        cell(v),
        cell(v, 1 / inPerRow),
        cell(cpus.get(c.id)!),
        cell(brokerCpus.get(c.id)!),
        String(v.length),
      ];
    }),
  ));
  console.log(
    `host load average per round ${loads.join(" ")} on ${navigator.hardwareConcurrency} cores`,
  );
  const floor = await workFloor(SELF, input);
  console.log(
    `\n== the work alone, no Kafka (decode, parse, normalize, stringify; best of 5 passes)\n` +
      `JS ${num(floor.js)} msgs/s (${(1e6 / floor.js).toFixed(1)} µs/msg); ` +
      `Python ${num(floor.python)} msgs/s (${(1e6 / floor.python).toFixed(1)} µs/msg)`,
  );
  const inRows: string[][] = [];
  for (const side of sides) {
    try {
      const r = await runJson<{ usPerMsg: number }>(Deno.execPath(), [
        "run",
        "-A",
        "--config",
        join(side.root, "deno.json"),
        join(side.root, "bench/_pipeline_inprocess.ts"),
        String(MESSAGES),
        "5",
      ]);
      results.get(side)!.inProcess = r.usPerMsg;
      inRows.push([
        side.label,
        r.usPerMsg.toFixed(1),
        `${(r.usPerMsg * floor.js / 1e6).toFixed(2)}x`,
      ]);
    } catch (err) {
      console.error(`in-process run (${side.label}) failed: ${(err as Error).message}`);
    }
  }
  console.log(
    `\n== the runtime without Kafka: topic deserializers, compiled normalize, serializers ` +
      `(best of 5 passes)`,
  );
  console.log(table(["runtime", "µs/msg", "/ JS floor"], inRows));
  return { floorUs: 1e6 / floor.js, pythonRate: median(rates.get("python") ?? []) };
}

async function latency(address: string, sides: Side[], results: Map<Side, SideResults>) {
  console.log(
    `\n== end-to-end latency, produce → normalize (sandboxed worker) → output, ` +
      `${LATENCY_ROUNDS} interleaved runs of ${LATENCY_SECONDS} s per tree`,
  );
  const perSide = new Map<Side, Latency[]>(sides.map((s) => [s, []]));
  for (let round = 1; round <= LATENCY_ROUNDS; round++) {
    for (const [i, side] of sides.entries()) {
      const proc = spawn(Deno.execPath(), [
        "run",
        "-A",
        "--unstable-worker-options",
        "--config",
        join(side.root, "deno.json"),
        join(side.root, "bench/_pipeline_latency.ts"),
        address,
        String(LATENCY_SECONDS),
        `lat-in-${i}-${round}`,
        `lat-out-${i}-${round}`,
      ], {
        cwd: side.root,
        env: { ...side.env, BENCH_APP_ENV: Object.keys(side.env).join(",") },
      });
      const status = await proc.status;
      const last = proc.out().trim().split("\n").at(-1) ?? "";
      if (!status.success || !last.startsWith("{")) {
        console.error(`latency (${side.label}) failed:\n${proc.out()}\n${proc.err()}`);
        continue;
      }
      const r = JSON.parse(last) as Latency;
      perSide.get(side)!.push(r);
      const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "")).split(" ")[0];
      console.error(
        `latency round ${round}/${LATENCY_ROUNDS} ${side.label}: p50 ${r.p50} ms, p99 ${r.p99} ms, ` +
          `max ${r.max} ms (load ${load})`,
      );
    }
  }
  const rows: string[][] = [];
  for (const side of sides) {
    const v = perSide.get(side)!;
    if (v.length === 0) continue;
    // The run with the median p99 stands for the tree (a load spike hits single runs).
    const mid = [...v].sort((a, b) => a.p99 - b.p99)[(v.length - 1) >> 1];
    results.get(side)!.latency = mid;
    rows.push([
      side.label,
      num(mid.rate),
      num(mid.rows),
      num(mid.p50),
      num(mid.p99),
      num(mid.max),
      v.map((r) => num(r.p99)).join(" "),
    ]);
  }
  console.log(
    table(["runtime", "msgs/s", "rows", "p50 ms", "p99 ms", "max ms", "p99 of each run"], rows),
  );
}

async function state(sides: Side[], results: Map<Side, SideResults>) {
  console.log(
    `\n== bench:state apps, ${num(STATE_MESSAGES)} messages, best of ${STATE_ROUNDS} ` +
      `interleaved runs of bench:state (each its own best of 2; msgs/s)`,
  );
  // Interleaved (each tree once per round) and the best of each figure kept: on a shared
  // machine one tree's single run can land in another job's load spike.
  for (let round = 1; round <= STATE_ROUNDS; round++) {
    for (const side of sides) {
      try {
        const s = await stateFigures(side.root, STATE_MESSAGES, side.env);
        const r = results.get(side)!;
        r.state = r.state
          ? {
            stateless: Math.max(r.state.stateless, s.stateless),
            windowed: Math.max(r.state.windowed, s.windowed),
            windowedEos: Math.max(r.state.windowedEos, s.windowedEos),
          }
          : s;
        console.error(
          `state round ${round}/${STATE_ROUNDS} ${side.label}: stateless ${num(s.stateless)}, ` +
            `windowed ${num(s.windowed)}, windowed exactly-once ${num(s.windowedEos)} msgs/s`,
        );
      } catch (err) {
        console.error(`bench:state (${side.label}) failed: ${(err as Error).message}`);
      }
    }
  }
  console.log(table(
    ["runtime", "stateless", "windowed", "windowed exactly-once"],
    sides.filter((s) => results.get(s)!.state).map((side) => {
      const s = results.get(side)!.state!;
      return [side.label, num(s.stateless), num(s.windowed), num(s.windowedEos)];
    }),
  ));
}

/** The targets, one row each, one column per side. */
function summary(
  sides: Side[],
  results: Map<Side, SideResults>,
  floorUs: number,
  pythonRate: number,
) {
  const check = (v: number, ok: (v: number) => boolean, text: string) =>
    Number.isFinite(v) ? `${text} ${ok(v) ? "ok" : "MISS"}` : "-";
  const x = (v: number) => `${v.toFixed(2)}x`;
  const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
  const rows: [string, string, (r: SideResults) => string][] = [
    ["normalize msgs/s (at-least-once)", "", (r) => num(median(r.rate))],
    ["  / python confluent-kafka loop", "≥ 2x", (r) => {
      const v = median(r.vsPython);
      return check(v, (v) => v >= 2, x(v));
    }],
    ["CPU µs per message", "", (r) => num(median(r.cpu), 1)],
    ["  / JS work-alone floor", "≤ 1.4x", (r) => {
      const v = median(r.cpu) / floorUs;
      return check(v, (v) => v <= 1.4, x(v));
    }],
    ["  of which without Kafka (in-process) / floor", "", (r) => {
      return r.inProcess === undefined ? "-" : x(r.inProcess / floorUs);
    }],
    ["normalize msgs/s, exactly-once", "", (r) => num(median(r.eosRate))],
    ["  slower than at-least-once", "≤ 15%", (r) => {
      const v = median(r.eosSlower);
      return check(v, (v) => v <= 0.15, pct(v));
    }],
    ["  CPU per message / at-least-once's", "", (r) => {
      const v = median(r.eosCpuRatio);
      return Number.isFinite(v) ? x(v) : "-";
    }],
    ["end-to-end p99 ms at 1,000 msgs/s", "< 10", (r) => {
      const v = r.latency?.p99 ?? NaN;
      return check(v, (v) => v < 10, num(v));
    }],
    ["bench:state windowed / stateless", "≥ 50%", (r) => {
      const v = r.state ? r.state.windowed / r.state.stateless : NaN;
      return check(v, (v) => v >= 0.5, pct(v));
    }],
    ["bench:state windowed exactly-once slower", "≤ 15%", (r) => {
      const v = r.state ? 1 - r.state.windowedEos / r.state.windowed : NaN;
      return check(v, (v) => v <= 0.15, pct(v));
    }],
  ];
  console.log(`\n== issue 11 targets (medians of per-round figures)`);
  console.log(table(
    ["figure", "target", ...sides.map((s) => s.label)],
    rows.map(([name, goal, f]) => [name, goal, ...sides.map((s) => f(results.get(s)!))]),
  ));
  if (Number.isFinite(floorUs)) {
    console.log(
      `python confluent-kafka loop ${num(pythonRate)} msgs/s; JS work-alone floor ` +
        `${floorUs.toFixed(1)} µs/msg, so with a client and a broker that cost nothing the ` +
        `runtime / python loop ratio could reach ${(1e6 / floorUs / pythonRate).toFixed(2)}x`,
    );
  }
}

async function main() {
  let extra: Side[] = [];
  try {
    extra = variants();
  } catch (e) {
    console.error(`bench:pipeline: ${(e as Error).message}`);
    Deno.exit(2);
  }
  const baselineRef = strArg("baseline-ref");
  const baseline = baselineRef
    ? await materialise(ROOT, baselineRef).catch((e: Error) => {
      console.error(`bench:pipeline: --baseline-ref ${baselineRef}: ${e.message}`);
      Deno.exit(2);
    })
    : undefined;
  const sides: Side[] = [
    ...(baseline ? [{ label: baseline.label, root: baseline.dir, env: {} }] : []),
    { label: "this tree", root: ROOT, env: {} },
    ...extra,
  ];
  if (baseline) console.error(`baseline ${baseline.subject} in ${baseline.dir}`);
  const results = new Map<Side, SideResults>(sides.map((s) => [s, {
    rate: [],
    cpu: [],
    eosRate: [],
    eosCpu: [],
    vsPython: [],
    eosSlower: [],
    eosCpuRatio: [],
  }]));
  const external = strArg("broker");
  const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-pipeline-" });
  let figures = { floorUs: NaN, pythonRate: NaN };
  try {
    const broker = external
      ? { address: external, pid: -1, stop: () => Promise.resolve() }
      : await startBrokerProcess(ROOT, dataDir);
    try {
      console.error(`broker subprocess at ${broker.address}`);
      if (runs("throughput")) figures = await throughput(broker, sides, results);
      if (runs("latency")) await latency(broker.address, sides, results);
    } finally {
      await broker.stop();
    }
    if (runs("state")) await state(sides, results);
    summary(sides, results, figures.floorUs, figures.pythonRate);
    if (runs("up")) await upReadyAndRss(ROOT);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
    await baseline?.remove();
  }
}

if (Deno.args.includes("--floor")) await floorMain(Deno.args);
else if (Deno.args.includes("--profile-summary")) {
  const files = await profileFiles(strArg("profile-summary")!);
  console.log(await summariseProfiles(files, arg("messages", 0)));
} else await main();
