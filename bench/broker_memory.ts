/**
 * Probe: the broker's memory under hostile clients, with a well-behaved client alongside.
 * Starts `sa broker` as a subprocess (defaults: memory target 512 MiB), fills a topic, then
 * - `fetchers` clients each ask for the whole topic (max_bytes 2^31-1) and never read;
 * - `stalled` clients each announce a 100 MiB frame, send 16 MiB of it and stop.
 * Prints the broker's RSS (VmRSS) after each phase, a good client's produce+fetch time, and
 * how much of the big topic (and how fast) one fetch of a good client gets meanwhile.
 *
 *   deno run -A bench/broker_memory.ts [--fill-mib 300] [--fetchers 4] [--stalled 20]
 *                                      [--cli path/to/cli.ts]   # another checkout's broker
 *
 * @module
 */
import { parseArgs } from "node:util";
import { buildBatch } from "../lib/kafka/protocol/record_batch.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "fill-mib": { type: "string", default: "300" },
    fetchers: { type: "string", default: "4" },
    stalled: { type: "string", default: "20" },
    cli: { type: "string", default: new URL("../cli.ts", import.meta.url).pathname },
  },
});
const fillMiB = Number(values["fill-mib"]);
const fetchers = Number(values.fetchers);
const stalledCount = Number(values.stalled);

const enc = new TextEncoder();
const i16 = (v: number) => [(v >> 8) & 0xff, v & 0xff];
const i32 = (v: number) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const i64 = (v: number) => [...i32(Math.floor(v / 2 ** 32)), ...i32(v >>> 0)];
const str = (s: string | null) =>
  s === null ? i16(-1) : [...i16(enc.encode(s).length), ...enc.encode(s)];
function frame(key: number, ver: number, corr: number, body: Uint8Array): Uint8Array {
  const head = [...i16(key), ...i16(ver), ...i32(corr), ...str("probe")];
  const out = new Uint8Array(4 + head.length + body.length);
  out.set(i32(head.length + body.length));
  out.set(head, 4);
  out.set(body, 4 + head.length);
  return out;
}
function produceBody(topic: string, batch: Uint8Array): Uint8Array {
  const pre = [
    ...str(null),
    ...i16(1),
    ...i32(30_000),
    ...i32(1),
    ...str(topic),
    ...i32(1),
    ...i32(0),
    ...i32(batch.length),
  ];
  const out = new Uint8Array(pre.length + batch.length);
  out.set(pre);
  out.set(batch, pre.length);
  return out;
}
function fetchBody(topic: string, offset: number, maxBytes: number): Uint8Array {
  return new Uint8Array([
    ...i32(-1),
    ...i32(100),
    ...i32(1),
    ...i32(maxBytes),
    0,
    ...i32(1),
    ...str(topic),
    ...i32(1),
    ...i32(0),
    ...i64(offset),
    ...i64(-1),
    ...i32(maxBytes),
  ]);
}
async function writeAll(c: Deno.Conn, b: Uint8Array) {
  for (let off = 0; off < b.length;) off += await c.write(b.subarray(off));
}
async function readFrame(c: Deno.Conn): Promise<Uint8Array> {
  const head = new Uint8Array(4);
  for (let got = 0; got < 4;) got += (await c.read(head.subarray(got))) ?? Infinity;
  const size = new DataView(head.buffer).getInt32(0);
  const out = new Uint8Array(size);
  for (let got = 0; got < size;) {
    const n = await c.read(out.subarray(got));
    if (n === null) throw new Error("closed");
    got += n;
  }
  return out;
}
const rssMiB = (pid: number) => {
  const m = Deno.readTextFileSync(`/proc/${pid}/status`).match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
};

const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-memory-" });
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-A",
    "--unstable-worker-options",
    values.cli!,
    "broker",
    "--port",
    "0",
    "--data-dir",
    dataDir,
  ],
  stdout: "null",
  stderr: "piped",
}).spawn();
const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
let port = 0;
let buffered = "";
while (!port) {
  const { value, done } = await lines.read();
  if (done) throw new Error("broker exited: " + buffered);
  buffered += value;
  const m = buffered.match(/listening on [\d.]+:(\d+)/);
  if (m) port = Number(m[1]);
}
void (async () => {
  while (!(await lines.read()).done) { /* drain */ }
})();
const pid = child.pid;
const rows: [string, string][] = [["idle", rssMiB(pid).toFixed(0)]];

const good = await Deno.connect({ port });
const batch = buildBatch([{ key: "k", value: "v".repeat(1024 * 1024 - 100) }]);
for (let i = 0; i < fillMiB; i++) {
  await writeAll(good, frame(0, 3, i, produceBody("big", batch)));
  await readFrame(good);
}
rows.push([`after producing ${fillMiB} MiB`, rssMiB(pid).toFixed(0)]);

const hostile: Deno.Conn[] = [];
for (let i = 0; i < fetchers; i++) {
  const c = await Deno.connect({ port });
  hostile.push(c);
  await writeAll(c, frame(1, 5, 1, fetchBody("big", 0, 0x7fffffff)));
}
await new Promise((r) => setTimeout(r, 3000));
rows.push([`${fetchers} fetchers of 2 GiB that never read`, rssMiB(pid).toFixed(0)]);

const chunk = new Uint8Array(1024 * 1024);
for (let i = 0; i < stalledCount; i++) {
  const c = await Deno.connect({ port });
  hostile.push(c);
  await writeAll(c, new Uint8Array(i32(100 * 1024 * 1024)));
  // Sent without waiting: a broker that holds the frame back leaves it in the socket buffers.
  void (async () => {
    for (let k = 0; k < 16; k++) await writeAll(c, chunk);
  })().catch(() => {});
}
await new Promise((r) => setTimeout(r, 3000));
rows.push([`+ ${stalledCount} stalled 100 MiB frames (16 MiB sent)`, rssMiB(pid).toFixed(0)]);

const t = performance.now();
await writeAll(
  good,
  frame(0, 3, 9000, produceBody("small", buildBatch([{ key: "k", value: "v" }]))),
);
await readFrame(good);
await writeAll(good, frame(1, 5, 9001, fetchBody("small", 0, 1 << 20)));
const fetched = await readFrame(good);
const goodMs = performance.now() - t;
// A well-behaved client reading the big topic meanwhile gets a whole fetch.max.bytes response.
const t2 = performance.now();
await writeAll(good, frame(1, 5, 9002, fetchBody("big", 0, 0x7fffffff)));
const bigFetch = await readFrame(good);
const bigMs = performance.now() - t2;
rows.push(["peak", rssMiB(pid).toFixed(0)]);

console.log(`broker RSS (MiB), ${values.cli}`);
for (const [what, mib] of rows) console.log(`  ${what.padEnd(44)} ${mib.padStart(6)}`);
console.log(
  `  well-behaved produce + fetch meanwhile: ${goodMs.toFixed(0)} ms (${fetched.length} bytes)`,
);
console.log(
  `  well-behaved fetch of the big topic meanwhile: ${bigMs.toFixed(0)} ms ` +
    `(${(bigFetch.length / 1024 / 1024).toFixed(1)} MiB)`,
);
for (const c of hostile) {
  try {
    c.close();
  } catch { /* closed by the broker */ }
}
good.close();
child.kill("SIGTERM");
await child.status;
await Deno.remove(dataDir, { recursive: true });
