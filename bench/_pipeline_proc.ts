/**
 * Process plumbing of `bench/pipeline.ts`: subprocesses with collected output, the broker
 * subprocess, the output-topic stopwatch, and a git ref materialised as a runnable tree.
 *
 * @module
 */
import { join } from "node:path";
import { type Admin, Kafka, logLevel } from "kafkajs";
import { cpuSeconds } from "./_util.ts";
import { HighWatermarks } from "./_pipeline_offsets.ts";
import { filterKafkajsTimerWarning } from "../lib/stream/kafka/_kafka.ts";

// kafkajs' idle timers would print a Node TimeoutNegativeWarning into the figures.
filterKafkajsTimerWarning();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A subprocess whose output is collected in the background. */
export function spawn(
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
  const pump = async (s: ReadableStream<Uint8Array>, add: (t: string) => void) => {
    const d = new TextDecoder();
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

/** `sa broker` of the tree at `root` as a subprocess on a free port. */
export async function startBrokerProcess(root: string, dataDir: string) {
  const p = spawn(Deno.execPath(), [
    "run",
    "-A",
    join(root, "cli.ts"),
    "broker",
    "--port",
    "0",
    "--data-dir",
    dataDir,
    "--log-level",
    "info",
  ]);
  const m = await p.waitFor(/listening on (127\.0\.0\.1:\d+)/);
  return { address: m[1], pid: p.child.pid, stop: () => p.stop() };
}

export function kafka(address: string): Kafka {
  return new Kafka({ brokers: [address], clientId: "bench", logLevel: logLevel.NOTHING });
}

/** A contender's run: output rate, wall time, and the CPU time its process used meanwhile. */
export interface Measured {
  rowsPerSec: number;
  seconds: number;
  cpu: number;
  /** CPU seconds the broker process used meanwhile (NaN with an external broker). */
  brokerCpu: number;
}

/**
 * Times a contender: from the moment its consumer group is Stable (joined, partitions
 * assigned: start-up and joins are not counted) until the output topic's high watermark
 * holds every row (its one partition). With exactly-once that counts the rows written into
 * the open transaction: its commit comes with the next checkpoint, as at-least-once's offset
 * commit does, and a short run would otherwise measure the commit interval.
 */
export async function measureOutput(
  admin: Admin,
  group: string,
  topic: string,
  target: number,
  pid: number,
  brokerPid: number,
  timeoutMs = 300_000,
): Promise<Measured> {
  const end = Date.now() + timeoutMs;
  let t0 = 0;
  let cpu0 = 0, brokerCpu0 = 0;
  const address = (await admin.describeCluster()).brokers[0];
  const hw = await HighWatermarks.open(`${address.host}:${address.port}`);
  try {
    for (;;) {
      if (t0 === 0) {
        const { groups } = await admin.describeGroups([group]);
        if (groups[0]?.state === "Stable") {
          t0 = performance.now();
          cpu0 = await cpuSeconds(pid);
          brokerCpu0 = await cpuSeconds(brokerPid);
        }
      }
      const high = Math.max(0, await hw.sum(topic, 1));
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
  } finally {
    hw.close();
  }
}

/** Median, min and max of a non-empty list. */
export function spread(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * The scripts a baseline tree runs for the runtime's figures: this tree's copies replace the
 * baseline's (they use only the public API, `apps/normalize.ts` and the runner), so both
 * trees are measured by the same code.
 */
export const TREE_SCRIPTS = [
  "_pipeline_runtime.ts",
  "_pipeline_latency.ts",
  "_pipeline_inprocess.ts",
  "_pipeline_data.ts",
];

/** A commit's files in a temp dir (`git archive | tar -x`), with this tree's TREE_SCRIPTS. */
export async function materialise(root: string, ref: string) {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args: ["-C", root, ...args] }).output();
    if (!out.success) {
      throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    return new TextDecoder().decode(out.stdout).trim();
  };
  const commit = await git("rev-parse", "--verify", `${ref}^{commit}`);
  const dir = await Deno.makeTempDir({ prefix: "sa-bench-baseline-" });
  try {
    const archive = new Deno.Command("git", {
      args: ["-C", root, "archive", "--format=tar", commit],
      stdout: "piped",
    }).spawn();
    const tar = new Deno.Command("tar", { args: ["-x", "-C", dir], stdin: "piped" }).spawn();
    await archive.stdout.pipeTo(tar.stdin);
    const [a, t] = await Promise.all([archive.status, tar.status]);
    if (!a.success || !t.success) throw new Error(`git archive ${ref} | tar -x failed`);
    await Deno.mkdir(join(dir, "bench"), { recursive: true });
    for (const f of TREE_SCRIPTS) {
      await Deno.copyFile(join(root, "bench", f), join(dir, "bench", f));
    }
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
  const subject = await git("log", "-1", "--format=%h %s", commit);
  return {
    dir,
    commit,
    label: `${ref} (${commit.slice(0, 8)})`,
    subject,
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}
