/**
 * normalize's work without the runtime, for `bench/pipeline.ts`: the demo input, the
 * transform done by hand (JS and Python), the Python confluent-kafka loop, and the work-alone
 * floor (no Kafka client, no broker).
 *
 * @module
 */
import process from "node:process";
import type { SensorMessage } from "../apps/normalize.ts";
import { COMMIT_INTERVAL_MS } from "./_pipeline_runtime.ts";

export { demoFile, demoLines } from "./_pipeline_data.ts";

export const PYTHON = "/usr/bin/python3";

/** normalize's rule, computed directly: how many rows N messages give. */
export function rowsFor(lines: string[]): number {
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

/**
 * normalize's work on one raw message's text, done by hand (expand, transpose, keep rows with
 * accelerometer-x, project, total, keep > 50): each output row's JSON goes to `emit`.
 */
export function normalizeValue(text: string, emit: (json: string) => void): void {
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

// normalize's work on one raw message in Python, shared by the loop and the floor: the same
// steps as normalizeValue, compact JSON like JSON.stringify.
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

/**
 * The hand-written loop with confluent-kafka (librdkafka): PY_NORMALIZE's steps, key and
 * timestamp kept, acks all (idempotent), flush + commit every COMMIT_INTERVAL_MS.
 */
export const PY_LOOP = `${PY_NORMALIZE}
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
// passes, by CPU time like the contenders.
const PY_FLOOR = `${PY_NORMALIZE}
import sys, time
lines = open(sys.argv[1], "rb").read().split(b"\\n")
lines = [l for l in lines if l.strip()]
best = None
for _ in range(int(sys.argv[2])):
    t0 = time.process_time()
    n = 0
    for raw in lines:
        n += len(normalize(raw))
    dt = time.process_time() - t0
    best = dt if best is None else min(best, dt)
print(json.dumps({"seconds": best, "rows": n}))
`;

/**
 * The floor: normalize's work with no Kafka client and no broker (decode, JSON.parse,
 * transpose, filter, total, JSON.stringify per row), from the raw bytes in memory, in JS and
 * in Python, in msgs/s. Best of `passes` passes, each in its own process. No client can make
 * the runtime cheaper than the JS figure.
 */
export async function workFloor(
  script: string,
  input: string[],
  passes = 5,
): Promise<{ js: number; python: number }> {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  const py = await Deno.makeTempFile({ suffix: ".py" });
  try {
    await Deno.writeTextFile(file, input.join("\n"));
    await Deno.writeTextFile(py, PY_FLOOR);
    const jsOut = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--floor", file, String(passes)],
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

/** CPU seconds this process used (all threads, as the contenders' figures) since `from`. */
export function cpuSince(from?: { user: number; system: number }): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

/**
 * `--floor <file> <passes>`: the JS half of {@link workFloor}, in a fresh process. Timed by
 * CPU, like the contenders, so a load spike from other jobs does not count.
 */
export async function floorMain(args: string[]): Promise<void> {
  const i = args.indexOf("--floor");
  const text = await Deno.readFile(args[i + 1]);
  const raw: Uint8Array[] = [];
  for (let s = 0, e = 0; s < text.length; s = e + 1) {
    e = text.indexOf(10, s);
    if (e < 0) e = text.length;
    raw.push(text.subarray(s, e));
  }
  const decoder = new TextDecoder();
  let best = Infinity;
  for (let p = 0; p < Number(args[i + 2]); p++) {
    const t0 = process.cpuUsage();
    let rows = 0;
    for (const bytes of raw) normalizeValue(decoder.decode(bytes), () => rows++);
    best = Math.min(best, cpuSince(t0));
  }
  console.log(JSON.stringify({ seconds: best }));
  Deno.exit(0);
}
