/**
 * Broker produce latency and broker CPU cost, optionally against a baseline git revision in
 * the same run (alternating, so machine load hits both alike).
 *
 * - Latency: librdkafka (confluent-kafka) producer, acks=all, 100 B at 1,000 msgs/s, send ->
 *   ack, p50/p99/p99.9/max, for `--fsync interval` and `--fsync always`; with `--preload N` the
 *   broker first takes N 1 KiB messages at full speed (writeback still running, as after a
 *   throughput run).
 * - `--throughput`: 1 KiB librdkafka produce (acks=1) then `kcat` consume of the same
 *   messages: MB/s and the broker's CPU seconds per GB (utime+stime from /proc; far less
 *   sensitive to other load on a shared machine than MB/s).
 *
 * Usage: `deno run -A bench/broker_latency.ts [--seconds 10] [--rounds 2] [--preload N]
 * [--throughput] [--count 800000] [--baseline <git rev>]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { cpuSeconds, mbps, num, percentile, runJson, table } from "./_util.ts";
import { clientMissingReason, PYTHON } from "../tests/_clients.ts";

const RDKAFKA = new URL("./_rdkafka.py", import.meta.url).pathname;
const REPO = new URL("../", import.meta.url).pathname;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "2" },
    preload: { type: "string", default: "0" },
    count: { type: "string", default: "800000" },
    throughput: { type: "boolean", default: false },
    baseline: { type: "string" },
  },
});

interface Broker {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts `<root>/cli.ts broker` on port 0 and waits for its listening line. */
async function spawn(root: string, dataDir: string, fsync: string): Promise<Broker> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      ...["run", "-A", "--unstable-worker-options", join(root, "cli.ts"), "broker"],
      ...["--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--fsync", fsync],
    ],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start:\n${text}`)), 30_000);
    const pump = async (s: ReadableStream<Uint8Array>) => {
      for await (const chunk of s) {
        text += dec.decode(chunk, { stream: true });
        const m = text.match(/listening on \S+:(\d+)/);
        if (m) {
          clearTimeout(timer);
          resolve(`127.0.0.1:${m[1]}`);
        }
      }
    };
    void pump(child.stdout);
    void pump(child.stderr);
  });
  return {
    address,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

async function kcatConsume(address: string, topic: string): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command("kcat", {
    args: [
      ...["-b", address, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", ""],
      ...["-X", "fetch.max.bytes=52428800", "-X", "max.partition.fetch.bytes=10485760"],
      ...["-X", "queued.max.messages.kbytes=1048576", "-X", "fetch.wait.max.ms=10"],
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`kcat failed: ${new TextDecoder().decode(out.stderr)}`);
  return (performance.now() - started) / 1000;
}

/** A tree to run: the working copy, or a `git archive` of the baseline revision. */
async function trees(): Promise<{ name: string; root: string }[]> {
  const list = [{ name: "current", root: REPO }];
  if (!flags.baseline) return list;
  const root = await Deno.makeTempDir({ prefix: "sa-bench-baseline-" });
  const archive = new Deno.Command("git", {
    args: [
      "-C",
      REPO,
      "archive",
      flags.baseline,
      "cli.ts",
      "mod.ts",
      "deno.json",
      "deno.lock",
      "lib",
    ],
    stdout: "piped",
  }).spawn();
  const tar = new Deno.Command("tar", { args: ["-x", "-C", root], stdin: "piped" }).spawn();
  await archive.stdout.pipeTo(tar.stdin);
  if (!(await archive.status).success || !(await tar.status).success) {
    throw new Error(`cannot extract revision ${flags.baseline}`);
  }
  list.push({ name: `baseline ${flags.baseline}`, root });
  return list;
}

async function main(): Promise<void> {
  const missing = await clientMissingReason("confluent-kafka") ??
    (flags.throughput ? await clientMissingReason("kcat") : null);
  if (missing) {
    console.log(`skipped: ${missing}`);
    return;
  }
  const seconds = Number(flags.seconds), rounds = Number(flags.rounds);
  const preload = Number(flags.preload), count = Number(flags.count);
  const roots = await trees();
  console.log(
    `# broker latency${flags.throughput ? " and CPU cost" : ""}: ${rounds} round(s), ` +
      `${navigator.hardwareConcurrency} cores, load ${Deno.loadavg()[0].toFixed(2)}`,
  );
  const latency = new Map<string, number[][]>();
  const tput = new Map<
    string,
    { produce: number; consume: number; pcpu: number; ccpu: number }[]
  >();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const mode of ["interval", "always"]) {
        for (const t of roots) {
          const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-latency-" });
          const b = await spawn(t.root, dataDir, mode);
          try {
            if (preload > 0) {
              await runJson(PYTHON, [
                RDKAFKA,
                "produce",
                b.address,
                "bulk",
                "1024",
                `${preload}`,
                "1",
              ]);
            }
            const r = await runJson<{ latencies_ms: number[] }>(PYTHON, [
              ...[RDKAFKA, "latency", b.address, "latency", "100", "1000", String(seconds)],
            ]);
            const key = `${t.name}\t${mode}`;
            latency.set(key, [...(latency.get(key) ?? []), r.latencies_ms]);
            if (flags.throughput && mode === "interval") {
              const c0 = await cpuSeconds(b.pid);
              const p = await runJson<{ bytes: number; seconds: number }>(PYTHON, [
                ...[RDKAFKA, "produce", b.address, "tput", "1024", String(count), "1"],
              ]);
              const c1 = await cpuSeconds(b.pid);
              const consumeSeconds = await kcatConsume(b.address, "tput");
              const c2 = await cpuSeconds(b.pid);
              const gb = p.bytes / 1e9;
              tput.set(t.name, [...(tput.get(t.name) ?? []), {
                produce: mbps(p.bytes, p.seconds),
                consume: mbps(p.bytes, consumeSeconds),
                pcpu: (c1 - c0) / gb,
                ccpu: (c2 - c1) / gb,
              }]);
            }
          } finally {
            await b.stop();
            await Deno.remove(dataDir, { recursive: true }).catch(() => {});
          }
        }
      }
    }
  } finally {
    for (const t of roots.slice(1)) await Deno.remove(t.root, { recursive: true });
  }
  console.log(
    `\n## Produce latency, librdkafka acks=all, 100 B at 1,000 msgs/s, ${seconds} s per run` +
      (preload ? ` (after a ${num(preload)} x 1 KiB preload)` : "") + "\n",
  );
  console.log(table(
    ["tree", "fsync", "run", "p50 ms", "p99 ms", "p99.9 ms", "max ms"],
    [...latency].flatMap(([key, runs]) =>
      runs.map((l, i) => [
        ...key.split("\t"),
        String(i + 1),
        num(percentile(l, 50), 2),
        num(percentile(l, 99), 2),
        num(percentile(l, 99.9), 2),
        num(Math.max(...l), 1),
      ])
    ),
  ));
  if (flags.throughput) {
    console.log(
      `\n## 1 KiB throughput: librdkafka produce (acks=1) then kcat consume, ${num(count)} msgs\n`,
    );
    console.log(table(
      ["tree", "run", "produce MB/s", "broker CPU s/GB", "consume MB/s", "broker CPU s/GB"],
      [...tput].flatMap(([name, runs]) =>
        runs.map((r, i) => [
          name,
          String(i + 1),
          num(r.produce),
          num(r.pcpu, 2),
          num(r.consume),
          num(r.ccpu, 2),
        ])
      ),
    ));
  }
}

if (import.meta.main) await main();
