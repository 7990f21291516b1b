/**
 * Episode-3 benchmark (`deno task bench:ep3`).
 *
 * 1. Gateway: the embedded broker (`sa broker`) and apps/gateway.ts each in their own process;
 *    this process plays phones POSTing real-sized messages (the demo recording's lines, ~1.4 KB,
 *    each with a fresh messageId). Open loop at `--rate` requests/s for `--seconds` (requests
 *    are sent on schedule whether or not earlier ones were answered, so a stall shows up as
 *    latency): p50/p99/max from send to the 200, which comes after the broker's ack. Then a
 *    closed loop of 32 concurrent phones for the requests/s ceiling, and the same open loop
 *    against a bare `Deno.serve` answering 200 in its own process: the control, showing what
 *    the machine alone adds.
 * 2. InfluxDB sink: a real influxd 1.x (Debian's, on free ports), `--points` downsampled-like
 *    points written through InfluxDBSink in checkpoint batches of 10,000 (5,000 per request):
 *    points/s.
 *
 * Usage: deno task bench:ep3 [--rate 200] [--seconds 10] [--points 200000] [--only gateway|influx]
 * (EP3_DEBUG=1 prints every request slower than 10 ms with when it was sent.)
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { InfluxDBSink, SinkBatch } from "../mod.ts";
import { hasInfluxd, startInfluxd } from "../tests/stream/sinks/_influxd.ts";
import { num, percentile, table } from "./_util.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const GATEWAY = fileURLToPath(new URL("./_gateway.ts", import.meta.url));
const DEMO = new URL("../demo_stream.json", import.meta.url);

function arg(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}
const RATE = arg("rate", 200);
const SECONDS = arg("seconds", 10);
const POINTS = arg("points", 200_000);
const ONLY = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : "";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Spawns a process and waits until its output matches `ready`. */
async function spawn(args: string[], env: Record<string, string>, ready: RegExp) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) text += dec.decode(c, { stream: true });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const end = Date.now() + 30_000;
  let m: RegExpExecArray | null;
  while (!(m = ready.exec(text))) {
    if (Date.now() > end) throw new Error(`${args.join(" ")} did not start:\n${text}`);
    await sleep(10);
  }
  return {
    match: m,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await pumps;
    },
  };
}

async function benchGateway(): Promise<string[][]> {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-ep3-" });
  const broker = await spawn(
    ["run", "-A", CLI, "broker", "--port", "0", "--data-dir", dataDir, "--log-level", "info"],
    {},
    /listening on (127\.0\.0\.1:\d+)/,
  );
  const gateway = await spawn(
    [
      "run",
      "-A",
      GATEWAY,
      JSON.stringify({ output: "raw-data", host: "127.0.0.1", port: "0", token: "" }),
    ],
    { SA_BROKER: broker.match[1], SA_LOG_LEVEL: "WARN" },
    /http:\/\/127\.0\.0\.1:(\d+)\/data/,
  );
  // Control: a bare Deno.serve answering 200 in its own process, under the same load, shows
  // what the machine itself adds to every request.
  const echo = await spawn(
    [
      "eval",
      'Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: (a) => console.log("echo " + a.port) }, async (r) => { await r.arrayBuffer(); return new Response("ok"); });',
    ],
    {},
    /echo (\d+)/,
  );
  const lines = (await Deno.readTextFile(DEMO)).split("\n").filter((l) => l.trim());
  const bytes = lines.reduce((s, l) => s + l.length, 0) / lines.length;
  let id = 0;
  const body = () => {
    const n = id++;
    return lines[n % lines.length].replace(/"messageId":\d+/, `"messageId":${n}`);
  };
  const poster = (url: string) => async () => {
    const res = await fetch(url, { method: "POST", body: body() });
    await res.body?.cancel();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  };
  try {
    const gw = poster(`http://127.0.0.1:${gateway.match[1]}/data`);
    const ctl = poster(`http://127.0.0.1:${echo.match[1]}/`);
    for (let i = 0; i < 200; i++) await gw(); // warm-up: connections, JIT, topic metadata
    for (let i = 0; i < 200; i++) await ctl();
    const rows: string[][] = [];
    for (const [name, post] of [["gateway", gw], ["control: bare HTTP 200", ctl]] as const) {
      const { rate, latencies } = await openLoop(post);
      rows.push([
        `${name}, open loop ${RATE} req/s`,
        num(rate),
        num(percentile(latencies, 50), 2),
        num(percentile(latencies, 99), 2),
        num(Math.max(...latencies), 2),
        num(bytes),
      ]);
    }
    // Closed loop: 32 phones for 3 s.
    let done = 0;
    const end = performance.now() + 3000;
    const closedStart = performance.now();
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (performance.now() < end) {
        await gw();
        done++;
      }
    }));
    const closedRate = done / ((performance.now() - closedStart) / 1000);
    rows.splice(1, 0, [
      "gateway, 32 concurrent (ceiling)",
      num(closedRate),
      "-",
      "-",
      "-",
      num(bytes),
    ]);
    return rows;
  } finally {
    await echo.stop();
    await gateway.stop();
    await broker.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
}

/** Sends RATE requests/s for SECONDS on schedule; latency from send to answer. */
async function openLoop(post: () => Promise<void>): Promise<{ rate: number; latencies: number[] }> {
  const latencies: number[] = [];
  const total = RATE * SECONDS;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    const t0 = performance.now();
    inflight.push(
      post().then(() => {
        const ms = performance.now() - t0;
        latencies.push(ms);
        if (Deno.env.get("EP3_DEBUG") && ms > 10) {
          console.error(`slow at ${((t0 - started) / 1000).toFixed(2)} s: ${ms.toFixed(1)} ms`);
        }
      }),
    );
  }
  await Promise.all(inflight);
  return { rate: total / ((performance.now() - started) / 1000), latencies };
}

async function benchInflux(): Promise<string[][]> {
  if (!hasInfluxd()) return [["influxdb sink", "influxd not installed", "", "", "", ""]];
  const influx = await startInfluxd();
  try {
    const sink = new InfluxDBSink<Record<string, number>>({
      url: influx.url,
      version: 1,
      database: "bench",
      measurement: "downsampled",
      keyTag: "session",
    });
    await sink.setup();
    const t0 = 1_700_000_000_000;
    const perCheckpoint = 10_000;
    const started = performance.now();
    for (let i = 0; i < POINTS; i += perCheckpoint) {
      const batch = new SinkBatch<Record<string, number>>("table-data-10s", 0);
      for (let j = i; j < Math.min(POINTS, i + perCheckpoint); j++) {
        batch.items.push({
          value: {
            "g-mean": 1 + (j % 97) / 100,
            "g-max": 2 + (j % 89) / 10,
            latitude: 52.1 + j * 1e-6,
            longitude: 4.3,
          },
          key: `session-${j % 10}`,
          timestamp: t0 + j * 10,
          headers: {},
          offset: j,
        });
      }
      await sink.write(batch);
    }
    const seconds = (performance.now() - started) / 1000;
    const s = await influx.query("bench", 'SELECT count("g-mean") FROM downsampled');
    const stored = Number(s?.values[0][1]);
    if (stored !== POINTS) throw new Error(`InfluxDB holds ${stored} points, ${POINTS} written`);
    return [["influxdb sink (v1, 5,000/request)", num(POINTS / seconds), "-", "-", "-", "-"]];
  } finally {
    await influx.close();
  }
}

const rows: string[][] = [];
if (ONLY === "" || ONLY === "gateway") rows.push(...await benchGateway());
if (ONLY === "" || ONLY === "influx") rows.push(...await benchInflux());
console.log(table(["case", "per s", "p50 ms", "p99 ms", "max ms", "body B"], rows));
