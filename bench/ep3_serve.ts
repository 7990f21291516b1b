/**
 * Serving benchmark (`deno task bench:ep3serve`): episode 3's consumption side.
 *
 * 1. WebSocket fan-out: C clients (default 100, in a separate process so they never share a
 *    thread with the server) on one topic pushed by `TopicStreams`; a producer writes R
 *    messages/s (default 1,000) for S seconds, each stamped with its send time. Reported: the
 *    delivered rate (frames/s over all clients), and p50/p99/max of send → client receive.
 * 2. Views: an app materialising K keys (`toView`); sequential `GET /views/<name>/<key>`
 *    over one keep-alive connection (p50/p99 latency); then produce → visible: the time from
 *    `producer.send` to the change frame on a `?watch` WebSocket subscription.
 *
 * The broker runs as a subprocess (`sa broker`). Usage:
 *   deno task bench:ep3serve [--clients 100] [--rate 1000] [--seconds 10] [--keys 10000]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { Application } from "../mod.ts";
import { TopicStreams } from "../lib/serve/topic_stream.ts";
import { MemoryStateBackend } from "../lib/stream/state/memory.ts";
import { filterKafkajsTimerWarning } from "../lib/stream/kafka/_kafka.ts";
import { cpuSeconds, num, percentile, table } from "./_util.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    clients: { type: "string", default: "100" },
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "10" },
    keys: { type: "string", default: "10000" },
    // internal: the client process
    "clients-of": { type: "string" },
    "get-of": { type: "string" },
    expect: { type: "string" },
  },
});

interface ClientResult {
  delivered: number;
  firstAt: number;
  lastAt: number;
  delays: number[];
  errors: number;
}

/** The client process: C WebSockets, each counting frames and recording delays. */
async function clients(url: string, count: number, expect: number): Promise<void> {
  const delays: number[] = [];
  let delivered = 0;
  let errors = 0;
  let firstAt = 0;
  let lastAt = 0;
  let open = 0;
  const sockets: WebSocket[] = [];
  await Promise.all(Array.from({ length: count }, () =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url);
      sockets.push(ws);
      ws.onopen = () => {
        open++;
        resolve();
      };
      ws.onerror = () => {
        errors++;
        resolve();
      };
      ws.onmessage = (ev) => {
        // A regex, not JSON.parse: this process stands in for 100 machines, keep it light.
        const text = String(ev.data);
        if (!text.startsWith('{"type":"record"')) return;
        const now = Date.now();
        if (!firstAt) firstAt = now;
        lastAt = now;
        delivered++;
        const m = /"sentAt":(\d+)/.exec(text);
        if (m && delays.length < 2_000_000) delays.push(now - Number(m[1]));
      };
    })));
  console.error(`clients: ${open} open`);
  console.log("READY");
  const deadline = Date.now() + 120_000;
  while (delivered < expect * open && Date.now() < deadline) await sleep(50);
  for (const ws of sockets) ws.close();
  const result: ClientResult = {
    delivered,
    firstAt,
    lastAt,
    delays: summarize(delays),
    errors,
  };
  console.log(JSON.stringify(result));
}

/** p50, p99, max (ms). */
function summarize(d: number[]): number[] {
  return [percentile(d, 50), percentile(d, 99), percentile(d, 100)];
}

async function startBroker(dataDir: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "broker", "--port", "0", "--data-dir", dataDir, "--partitions", "1"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const dec = new TextDecoder();
  const pumps = Promise.all([child.stdout, child.stderr].map(async (s) => {
    for await (const c of s) text += dec.decode(c, { stream: true });
  }));
  const end = Date.now() + 30_000;
  let m: RegExpExecArray | null = null;
  while (!(m = /listening on (127\.0\.0\.1:\d+)/.exec(text))) {
    if (Date.now() > end) throw new Error(`broker did not start:\n${text}`);
    await sleep(10);
  }
  return {
    address: m[1],
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await pumps;
    },
  };
}

async function fanOut(address: string, kafka: Kafka) {
  const count = Number(args.clients);
  const rate = Number(args.rate);
  const seconds = Number(args.seconds);
  const total = rate * seconds;
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: "fanout", messages: [{ value: JSON.stringify({ sentAt: 0 }) }] });
  const streams = new TopicStreams({ brokers: [address], maxWaitMs: 100 });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (r) => streams.handle(r),
  );
  // Clients start at latest: they see only what is produced below.
  const url = `ws://127.0.0.1:${server.addr.port}/topics/fanout?from=latest`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      SELF,
      "--clients-of",
      url,
      "--clients",
      String(count),
      "--expect",
      String(total),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("READY")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("client process ended early");
    out += value;
  }
  while (streams.sessions().length < count) await sleep(10);
  await sleep(300); // every session has sent its start frame and is polling
  // 1,000/s as 10 messages every 10 ms, each stamped when sent.
  const cpu0 = await cpuSeconds(Deno.pid);
  const started = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate) + 10);
    const messages = [];
    for (; sent < due; sent++) {
      messages.push({ value: JSON.stringify({ i: sent, sentAt: Date.now() }) });
    }
    if (messages.length) await producer.send({ topic: "fanout", messages, acks: 1 });
    await sleep(10);
  }
  const produceSeconds = (Date.now() - started) / 1000;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  await child.status;
  const serverCpu = (await cpuSeconds(Deno.pid)) - cpu0;
  const result = JSON.parse(out.trim().split("\n").at(-1)!) as ClientResult;
  streams.close();
  await server.shutdown();
  await producer.disconnect();
  const span = (result.lastAt - result.firstAt) / 1000;
  return {
    count,
    rate,
    total,
    produceSeconds,
    delivered: result.delivered,
    deliveredRate: result.delivered / span,
    expected: total * count,
    delays: result.delays,
    cpuPerFrameUs: (serverCpu / result.delivered) * 1e6,
  };
}

async function views(address: string, kafka: Kafka) {
  const keys = Number(args.keys);
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < keys; i += 1000) {
    await producer.send({
      topic: "views-in",
      messages: Array.from({ length: Math.min(1000, keys - i) }, (_, j) => ({
        key: `key-${i + j}`,
        value: JSON.stringify({ n: i + j, v: Math.random() }),
      })),
    });
  }
  let url = "";
  const app = new Application({
    brokerAddress: address,
    consumerGroup: "bench-views",
    autoOffsetReset: "earliest",
    stateBackend: new MemoryStateBackend(),
    logLevel: "WARN",
    handleSignals: false,
    http: { port: 0, onListen: (u) => (url = u) },
  });
  app.dataframe(app.topic("views-in")).toView("bench");
  const stop = new AbortController();
  const running = app.run({ signal: stop.signal });
  while (!url) await sleep(10);
  for (;;) {
    const res = await fetch(`${url}/views`);
    const list = await res.json();
    if (list[0]?.size === keys) break;
    await sleep(50);
  }
  // Get latency: sequential requests over keep-alive, random keys, from another process (so
  // the client's own work and GC never sit on the server's event loop).
  const lat = await getClient(`${url}/views/bench/`, keys);
  // Produce → visible: a subscription sees each update.
  const ws = new WebSocket(`${url.replace("http", "ws")}/views/bench?watch&prefix=probe-`);
  const seen = new Map<string, number>();
  ws.onmessage = (ev) => {
    const f = JSON.parse(String(ev.data));
    if (f.type === "change") seen.set(f.key, performance.now());
  };
  await new Promise((r) => (ws.onopen = r));
  const visible: number[] = [];
  for (let i = 0; i < 200; i++) {
    const key = `probe-${i}`;
    const t0 = performance.now();
    await producer.send({ topic: "views-in", messages: [{ key, value: JSON.stringify({ i }) }] });
    while (!seen.has(key)) await sleep(1);
    visible.push(seen.get(key)! - t0);
    await sleep(20);
  }
  ws.close();
  stop.abort();
  await running;
  await producer.disconnect();
  return { keys, get: lat, visible: summarize(visible) };
}

/** Runs the GET loop in a subprocess; returns p50/p99/max (ms). */
async function getClient(base: string, keys: number): Promise<number[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SELF, "--get-of", base, "--keys", String(keys)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("GET client failed");
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

if (args["get-of"]) {
  const keys = Number(args.keys);
  const lat: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const k = `key-${Math.floor(Math.random() * keys)}`;
    const t0 = performance.now();
    const res = await fetch(`${args["get-of"]}${k}`);
    await res.arrayBuffer();
    const dt = performance.now() - t0;
    if (res.status !== 200) throw new Error(`GET ${k}: ${res.status}`);
    if (i >= 200) lat.push(dt); // warm-up
  }
  console.log(JSON.stringify(summarize(lat)));
  Deno.exit(0);
}

if (args["clients-of"]) {
  await clients(args["clients-of"], Number(args.clients), Number(args.expect));
  Deno.exit(0);
}

filterKafkajsTimerWarning();
const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-ep3serve-" });
const broker = await startBroker(dataDir);
const kafka = new Kafka({
  clientId: "bench-ep3serve",
  brokers: [broker.address],
  logLevel: logLevel.NOTHING,
});
try {
  const f = await fanOut(broker.address, kafka);
  console.log(
    `\nWebSocket fan-out: ${f.count} clients, ${num(f.rate)} msgs/s for ${num(f.total / f.rate)} s`,
  );
  console.log(table(["", "value"], [
    ["produced in (s)", num(f.produceSeconds, 2)],
    ["frames delivered", `${num(f.delivered)} of ${num(f.expected)}`],
    ["delivered rate (frames/s, all clients)", num(f.deliveredRate)],
    ["delay p50 (ms)", num(f.delays[0])],
    ["delay p99 (ms)", num(f.delays[1])],
    ["delay max (ms)", num(f.delays[2])],
    ["server + producer CPU per delivered frame (µs)", num(f.cpuPerFrameUs, 1)],
  ]));
  const load = await Deno.readTextFile("/proc/loadavg").then((t) => t.split(" ")[0], () => "?");
  console.log(`(load average ${load} on ${navigator.hardwareConcurrency} cores)`);
  const v = await views(broker.address, kafka);
  console.log(`\nViews: ${num(v.keys)} keys`);
  console.log(table(["", "p50 (ms)", "p99 (ms)", "max (ms)"], [
    ["GET /views/<name>/<key>", num(v.get[0], 3), num(v.get[1], 3), num(v.get[2], 3)],
    [
      "produce → visible (subscription)",
      num(v.visible[0], 2),
      num(v.visible[1], 2),
      num(v.visible[2], 2),
    ],
  ]));
} finally {
  await broker.stop();
  await Deno.remove(dataDir, { recursive: true });
}
