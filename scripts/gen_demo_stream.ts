import { mulberry32 as prng } from "../lib/util/prng.ts";
/**
 * Generates `apps/demo_stream.json`: a synthetic phone-sensor session in the course's format,
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
 * Usage: `deno run --allow-write scripts/gen_demo_stream.ts [out-file] [--seconds N] [--seed N]`
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

/** Serializes the session as JSON lines (one message per line, trailing newline). */
export function toJsonLines(messages: DemoMessage[]): string {
  return messages.map((m) => JSON.stringify(m)).join("\n") + "\n";
}

if (import.meta.main) {
  const args = [...Deno.args];
  let out = "apps/demo_stream.json";
  const opts: DemoStreamOptions = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--seconds") opts.seconds = Number(args[++i]);
    else if (a === "--seed") opts.seed = Number(args[++i]);
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else out = a;
  }
  const messages = generateDemoStream(opts);
  await Deno.writeTextFile(out, toJsonLines(messages));
  console.error(`wrote ${messages.length} messages to ${out}`);
}
