/**
 * replay: produces a recorded session, one message per line of a JSON-lines file, to the
 * `output` topic, keyed by the file's name, at the pace the recording was made.
 *
 * Lines are sent exactly as they are in the file (no re-encoding), so nanosecond timestamps
 * beyond 2^53 reach the consumers intact.
 *
 * Variables: `output` (topic), `file` (relative paths are relative to the project folder,
 * where `sa.yaml` is; the default is the demo session `demo_stream.json` at its top level),
 * `speed` (1 = real time, 2 = twice as fast, 0 = as fast as possible) and `loop` (start over
 * at the end).
 *
 * @module
 */
import { Application, defineApp, type Producer, type Topic } from "@sa/toolkit";

/** One line of the file with the time it was recorded at. */
export interface RecordedLine {
  /** The line as it is in the file. */
  text: string;
  /** Earliest payload time in the line, in ms since the epoch (NaN when it has none). */
  timeMs: number;
}

/** Parses a JSON-lines recording; a bad line is reported with its number. */
export function parseRecording(text: string, file: string): RecordedLine[] {
  const out: RecordedLine[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let msg: { payload?: Array<{ time?: unknown }> };
    try {
      msg = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON: ${(e as Error).message}`);
    }
    let t = Number.NaN;
    for (const item of Array.isArray(msg?.payload) ? msg.payload : []) {
      if (typeof item?.time === "number" && !(item.time >= t)) t = item.time;
    }
    out.push({ text: line, timeMs: t / 1e6 });
  }
  return out;
}

/**
 * Where the `file` variable points: absolute, or relative to the project folder. `sa run` and
 * `sa up` say which folder that is in `SA_PROJECT_DIR` (apps share one process, so not its
 * cwd); elsewhere it is the current folder.
 */
export function recordingPath(file: string, projectDir = Deno.env.get("SA_PROJECT_DIR")): string {
  if (file.startsWith("/") || /^[A-Za-z]:[\\/]/.test(file)) return file;
  const dir = projectDir || Deno.cwd();
  return `${dir.replace(/[\\/]+$/, "")}/${file}`;
}

/** Parses the `speed` variable: a non-negative number. */
export function parseSpeed(value: string | undefined): number {
  const speed = Number(value ?? "1");
  if (!Number.isFinite(speed) || speed < 0) {
    throw new Error(
      `variable speed must be a number >= 0 (0 = as fast as possible), not "${value}"`,
    );
  }
  return speed;
}

/** Parses a boolean variable (true/false, yes/no, 1/0, on/off). */
export function parseFlag(name: string, value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  if (["", "0", "false", "no", "off"].includes(v)) return false;
  if (["1", "true", "yes", "on"].includes(v)) return true;
  throw new Error(`variable ${name} must be true or false, not "${value}"`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Options of {@link replay}. */
export interface ReplayOptions {
  key: string;
  speed: number;
  loop: boolean;
  signal: AbortSignal;
  /** Progress lines (default: console.log every 5 s). */
  progress?: (line: string) => void;
}

/** Produces the lines, paced by their recorded times; returns how many were sent. */
export async function replay(
  producer: Producer,
  topic: Topic<string, string>,
  lines: RecordedLine[],
  opts: ReplayOptions,
): Promise<number> {
  const progress = opts.progress ?? ((l: string) => console.log(l));
  let sent = 0;
  let lastReport = performance.now();
  for (let pass = 1; !opts.signal.aborted; pass++) {
    const start = performance.now();
    const t0 = lines.find((l) => Number.isFinite(l.timeMs))?.timeMs ?? 0;
    for (let i = 0; i < lines.length && !opts.signal.aborted; i++) {
      const line = lines[i];
      if (opts.speed > 0 && Number.isFinite(line.timeMs)) {
        const due = start + (line.timeMs - t0) / opts.speed;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait, opts.signal);
        if (opts.signal.aborted) break;
      }
      producer.produce(topic, { key: opts.key, value: line.text });
      sent++;
      if (opts.speed === 0 && sent % 1000 === 0) await producer.ready();
      if (performance.now() - lastReport >= 5000) {
        lastReport = performance.now();
        const pct = Math.round(((i + 1) / lines.length) * 100);
        progress(
          `replay: ${i + 1}/${lines.length} messages (${pct}%) of pass ${pass}, ${sent} sent`,
        );
      }
    }
    if (opts.signal.aborted) break;
    await producer.flush();
    progress(`replay: pass ${pass} done, ${lines.length} messages (${sent} sent in total)`);
    if (!opts.loop) break;
  }
  return sent;
}

export default defineApp({
  name: "replay",
  description: "Replays a recorded phone session (JSON lines) into a topic, at recorded pace",
  variables: [
    {
      name: "output",
      inputType: "OutputTopic",
      description: "Topic the recording is replayed into",
      defaultValue: "raw-data",
      required: true,
    },
    {
      name: "file",
      inputType: "FreeText",
      description: "JSON-lines file to replay, relative to the project folder",
      defaultValue: "demo_stream.json",
      required: true,
    },
    {
      name: "speed",
      inputType: "FreeText",
      description: "Pace: 1 = as recorded, 2 = twice as fast, 0 = as fast as possible",
      defaultValue: "1",
    },
    {
      name: "loop",
      inputType: "FreeText",
      description: "Start over at the end of the file (true/false)",
      defaultValue: "false",
    },
  ],
  async main(vars, signal) {
    const speed = parseSpeed(vars.speed);
    const loop = parseFlag("loop", vars.loop);
    const path = recordingPath(vars.file!);
    const name = path.replace(/^.*[\\/]/, "");
    const lines = parseRecording(await Deno.readTextFile(path), name);
    console.log(
      `replay: ${lines.length} messages from ${name} to "${vars.output}", ` +
        `${speed === 0 ? "as fast as possible" : `speed ${speed}`}${loop ? ", looping" : ""}`,
    );
    const app = new Application({ consumerGroup: "replay" });
    const topic = app.topic<string, string>(vars.output!, { valueSerializer: "string" });
    const producer = await app.getProducer();
    try {
      const sent = await replay(producer, topic, lines, { key: name, speed, loop, signal });
      console.log(`replay: finished, ${sent} messages sent`);
    } finally {
      await producer.close();
    }
  },
});
