import { mulberry32 as prng } from "../lib/util/prng.ts";
/**
 * Generates `demo_stream.json` (at the top of the repository): a synthetic phone-sensor session in the course's format,
 * one JSON object per line: `{messageId, sessionId, deviceId, payload: [{name, time, values}]}`.
 *
 * The output is deterministic (seeded PRNG, fixed start time), so regenerating it gives the
 * same bytes and tests can rely on its content. The phone lies still most of the time and is
 * shaken every few seconds, starting in the first seconds, so normalize's filter
 * (`|x| + |y| + |z| > 50` on the accelerometer) lets rows through at once.
 *
 * Sensor times are nanoseconds, always multiples of 1,000: such integers survive a round trip
 * through a JavaScript number (`JSON.parse` then `JSON.stringify`) unchanged, unlike arbitrary
 * 19-digit nanosecond stamps.
 *
 * With `--activity` it writes the episode-4 recording instead (`apps/activity_stream.json`, see
 * {@link generateActivityStream}): several phones doing labelled activities, with Sensor Logger
 * `annotation` readings marking each activity's start. The episode-1 recording is unchanged by
 * it, so the outputs earlier episodes assert stay the same.
 *
 * Usage: `deno run --allow-write scripts/gen_demo_stream.ts [out-file] [--seconds N] [--seed N]
 * [--activity]`
 *
 * @module
 */

/** Options for {@link generateDemoStream}. */
export interface DemoStreamOptions {
  /** Session length in seconds (default 180). */
  seconds?: number;
  /** PRNG seed (default 20240509). */
  seed?: number;
  /** Session start, nanoseconds since the epoch, a multiple of 1,000 (default 2024-05-09T11:33:20Z). */
  startNs?: bigint;
}

/** One sensor reading, as in the course recording. */
export interface SensorReading {
  name: string;
  time: number;
  values: Record<string, number | string>;
}

/** One line of the demo stream. */
export interface DemoMessage {
  messageId: number;
  sessionId: string;
  deviceId: string;
  payload: SensorReading[];
}

function uuid(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "89ab"[Math.floor(rand() * 4)];
  const s = hex.join("");
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

/** Rounds to 15 significant digits so values look like sensor floats without 17-digit noise. */
function r(x: number): number {
  return Number(x.toPrecision(15));
}

/** A shake: [startSec, durationSec, peak amplitude per axis in m/s²]. */
type Shake = [number, number, number];

/**
 * Shake schedule: the first starts 1.5 s in; later ones every 8–20 s. The amplitude peaks
 * between 20 and 45 m/s² per axis, so the three-axis total crosses 50 during most shakes.
 */
function shakes(seconds: number, rand: () => number): Shake[] {
  const out: Shake[] = [[1.5, 2.0, 40]];
  let t = 1.5 + 2.0 + 6;
  while (t < seconds - 3) {
    const duration = 1 + rand() * 2;
    out.push([t, duration, 20 + rand() * 25]);
    t += duration + 6 + rand() * 12;
  }
  return out;
}

/** Builds the session in memory. */
export function generateDemoStream(options: DemoStreamOptions = {}): DemoMessage[] {
  const seconds = options.seconds ?? 180;
  const rand = prng(options.seed ?? 20240509);
  const startNs = options.startNs ?? 1715254400000000000n;
  if (startNs % 1000n !== 0n) throw new Error("startNs must be a multiple of 1000");
  const sessionId = uuid(rand);
  const deviceId = uuid(rand);
  const schedule = shakes(seconds, rand);
  const gauss = () => {
    // Box-Muller; 1 - rand() keeps log away from 0.
    const u = 1 - rand(), v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const shakeAt = (sec: number): number => {
    for (const [s, d, peak] of schedule) {
      if (sec >= s && sec < s + d) return peak * Math.sin((Math.PI * (sec - s)) / d);
    }
    return 0;
  };
  // Nanosecond timestamps with microsecond jitter (multiples of 1,000, see the module doc).
  const ns = (sec: number, jitterUs: number) =>
    Number(startNs + BigInt(Math.round(sec * 1e6) + jitterUs) * 1000n);

  const readings: SensorReading[] = [];
  let lat = 50.11327458785184, lon = 14.389502815284843, battery = 0.82;
  for (let i = 0; i * 0.05 < seconds; i++) {
    const sec = i * 0.05;
    const amp = shakeAt(sec);
    const axis = () => r(gauss() * 0.3 + amp * (rand() < 0.5 ? -1 : 1) * (0.6 + rand() * 0.4));
    readings.push({
      name: "accelerometeruncalibrated",
      time: ns(sec + 0.0025, Math.floor(rand() * 200)),
      values: {
        z: r(-0.55 + gauss() * 0.04 + amp / 9.81),
        y: r(-0.82 + gauss() * 0.02),
        x: r(-0.09 + gauss() * 0.02),
      },
    });
    readings.push({
      name: "accelerometer",
      time: ns(sec, Math.floor(rand() * 200)),
      values: { z: axis(), y: axis(), x: axis() },
    });
    if (i % 2 === 0) {
      readings.push({
        name: "gyroscope",
        time: ns(sec + 0.01, Math.floor(rand() * 200)),
        values: { z: r(gauss() * 0.05 + amp / 20), y: r(gauss() * 0.05), x: r(gauss() * 0.05) },
      });
    }
    if (i % 20 === 7) {
      lat += gauss() * 0.00001;
      lon += gauss() * 0.00001;
      readings.push({
        name: "location",
        time: ns(sec, Math.floor(rand() * 1000)),
        values: {
          altitude: r(249 + gauss() * 0.5),
          speedAccuracy: r(1 + rand() * 0.3),
          bearingAccuracy: -1,
          latitude: lat,
          altitudeAboveMeanSeaLevel: r(205.3 + gauss() * 0.5),
          bearing: -1,
          horizontalAccuracy: r(4 + rand() * 2),
          verticalAccuracy: r(3 + rand()),
          longitude: lon,
          speed: r(Math.abs(gauss() * 0.3)),
        },
      });
    }
    if (i % 20 === 11) {
      battery = Math.max(0.05, battery - 0.0005);
      readings.push({
        name: "battery",
        time: ns(Math.floor(sec), 0),
        values: {
          batteryLevel: Math.round(battery * 100) / 100,
          batteryState: "unplugged",
          lowPowerMode: "False",
        },
      });
    }
  }

  // Batch like the phone app does: 8 to 11 readings per message, in arrival order.
  const messages: DemoMessage[] = [];
  let messageId = 10799;
  for (let i = 0; i < readings.length;) {
    const n = 8 + Math.floor(rand() * 4);
    messages.push({
      messageId: messageId++,
      sessionId,
      deviceId,
      payload: readings.slice(i, i + n),
    });
    i += n;
  }
  return messages;
}

/** The activities of the episode-4 recording, in the order models list them. */
export const ACTIVITIES = ["still", "walking", "running", "shaking"] as const;

/** Options for {@link generateActivityStream}. */
export interface ActivityStreamOptions {
  /** Phones recording at once (default 5). */
  devices?: number;
  /** Seconds each phone records (default 160). */
  seconds?: number;
  /** PRNG seed (default 4). */
  seed?: number;
  /** Recording start, nanoseconds since the epoch, a multiple of 1,000 (default 2024-05-10T09:00Z). */
  startNs?: bigint;
}

/** One labelled activity segment of the activity recording: [label, startSec, endSec). */
export type ActivitySegment = [label: (typeof ACTIVITIES)[number], start: number, end: number];

/** A device's segments: 8–20 s each (shaking 4–8 s), never the same activity twice in a row. */
function activitySegments(seconds: number, rand: () => number): ActivitySegment[] {
  const out: ActivitySegment[] = [];
  let t = 0;
  let prev = -1;
  while (t < seconds) {
    let a = Math.floor(rand() * ACTIVITIES.length);
    if (a === prev) a = (a + 1) % ACTIVITIES.length;
    prev = a;
    const label = ACTIVITIES[a];
    const length = label === "shaking" ? 4 + rand() * 4 : 8 + rand() * 12;
    const end = Math.min(seconds, Math.round((t + length) * 10) / 10);
    out.push([label, t, end]);
    t = end;
  }
  return out;
}

/**
 * Builds the episode-4 recording: `devices` phones, each with its own session, recording the
 * accelerometer (linear acceleration, m/s², 20 Hz) while doing labelled activities. Each
 * activity starts with an `annotation` reading `{text, millisecond_press_duration}` as Sensor
 * Logger records a tapped label; the label holds until the next annotation, and a last
 * annotation `end` closes the final activity. Messages of all phones are interleaved in time,
 * as a gateway receiving several phones would log them.
 *
 * The signal per activity: still is sensor noise with the odd bump (the phone nudged on the
 * table); walking a 1.5–2.3 Hz step of 1.2–4 m/s²; running 2.1–3 Hz at 3–9 m/s²; shaking
 * 3.5–7 Hz at 8–30 m/s² on every axis. Each phone has its own gain (0.7–1.3), so walking and
 * running overlap and a model cannot be perfect.
 */
export function generateActivityStream(options: ActivityStreamOptions = {}): DemoMessage[] {
  const devices = options.devices ?? 5;
  const seconds = options.seconds ?? 160;
  const rand = prng(options.seed ?? 4);
  const startNs = options.startNs ?? 1715331600000000000n;
  if (startNs % 1000n !== 0n) throw new Error("startNs must be a multiple of 1000");
  const gauss = () => {
    const u = 1 - rand(), v = rand();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const ns = (sec: number, jitterUs: number) =>
    Number(startNs + BigInt(Math.round(sec * 1e6) + jitterUs) * 1000n);
  const v6 = (x: number) => Number(x.toPrecision(6));
  const all: DemoMessage[] = [];
  for (let d = 0; d < devices; d++) {
    const sessionId = uuid(rand);
    const deviceId = uuid(rand);
    const gain = 0.7 + rand() * 0.6;
    // Phones start a few seconds apart, like people pressing record one after another.
    const offset = Math.round(rand() * 30) / 10;
    const segments = activitySegments(seconds, rand);
    const readings: SensorReading[] = [];
    for (const [label, s, e] of segments) {
      readings.push({
        name: "annotation",
        time: ns(offset + s, Math.floor(rand() * 200)),
        values: { text: label, millisecond_press_duration: 80 + Math.floor(rand() * 150) },
      });
      const f = label === "walking"
        ? 1.5 + rand() * 0.8
        : label === "running"
        ? 2.1 + rand() * 0.9
        : 3.5 + rand() * 3.5;
      const amp = gain *
        (label === "still"
          ? 0
          : label === "walking"
          ? 1.2 + rand() * 2.8
          : label === "running"
          ? 3 + rand() * 6
          : 8 + rand() * 22);
      const noise = gain *
        (label === "still" ? 0.04 : label === "walking" ? 0.5 : label === "running" ? 1 : 2);
      const phase = [rand(), rand(), rand()].map((p) => p * 2 * Math.PI);
      let bumpUntil = -1;
      for (let i = Math.ceil(s * 20); i < e * 20; i++) {
        const sec = i / 20;
        if (label === "still" && sec > bumpUntil && rand() < 0.01) bumpUntil = sec + 0.6;
        const bump = sec <= bumpUntil ? 2.5 * gain : 0;
        const w = 2 * Math.PI * f * (sec - s);
        const wave = (k: number, share: number) => amp * share * Math.sin(w + phase[k]);
        const z = label === "shaking"
          ? wave(2, 1)
          : wave(2, 1) + 0.3 * amp * Math.sin(2 * w + phase[0]);
        readings.push({
          name: "accelerometer",
          time: ns(offset + sec, Math.floor(rand() * 200)),
          values: {
            z: v6(z + noise * gauss() + bump * gauss()),
            y: v6(wave(1, label === "shaking" ? 0.9 : 0.5) + noise * gauss() + bump * gauss()),
            x: v6(wave(0, label === "shaking" ? 0.8 : 0.3) + noise * gauss() + bump * gauss()),
          },
        });
      }
    }
    readings.push({
      name: "annotation",
      time: ns(offset + seconds, 0),
      values: { text: "end", millisecond_press_duration: 100 },
    });
    let messageId = 1;
    for (let i = 0; i < readings.length;) {
      const n = 8 + Math.floor(rand() * 4);
      all.push({ messageId: messageId++, sessionId, deviceId, payload: readings.slice(i, i + n) });
      i += n;
    }
  }
  // Interleave the phones by each message's first reading time (stable for equal times).
  return all
    .map((m, i) => ({ m, i, t: m.payload[0].time }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .map((x) => x.m);
}

/** Serializes the session as JSON lines (one message per line, trailing newline). */
export function toJsonLines(messages: DemoMessage[]): string {
  return messages.map((m) => JSON.stringify(m)).join("\n") + "\n";
}

if (import.meta.main) {
  const args = [...Deno.args];
  let out: string | undefined;
  let activity = false;
  const opts: DemoStreamOptions = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--seconds") opts.seconds = Number(args[++i]);
    else if (a === "--seed") opts.seed = Number(args[++i]);
    else if (a === "--activity") activity = true;
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else out = a;
  }
  const messages = activity ? generateActivityStream(opts) : generateDemoStream(opts);
  out ??= activity ? "apps/activity_stream.json" : "demo_stream.json";
  await Deno.writeTextFile(out, toJsonLines(messages));
  console.error(`wrote ${messages.length} messages to ${out}`);
}
