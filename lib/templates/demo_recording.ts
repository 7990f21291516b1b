import { mulberry32 as prng } from "../util/prng.ts";
/**
 * A small synthetic phone-sensor recording for the `replay` template, generated
 * deterministically (no file is read): JSON lines in the course's format,
 * `{messageId, sessionId, deviceId, payload: [{name, time (ns), values}]}`, with accelerometer,
 * gyroscope, location (once a second) and battery readings and a shake (|x|+|y|+|z| > 50)
 * every few seconds.
 *
 * @module
 */

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * Renders `seconds` of recording, 4 messages a second, each with a few samples per sensor.
 * Seconds 2-3 of every 10 are a shake.
 */
export function demoRecording(seconds = 60, start = Date.UTC(2024, 4, 9, 12, 0, 0)): string {
  const rand = prng(42);
  const lines: string[] = [];
  const sessionId = "00000000-0000-4000-8000-00000000da7a";
  const deviceId = "00000000-0000-4000-8000-000000000d1c";
  let messageId = 1;
  for (let q = 0; q < seconds * 4; q++) {
    const baseMs = start + q * 250;
    const shaking = Math.floor(q / 4) % 10 === 2 || Math.floor(q / 4) % 10 === 3;
    const payload: unknown[] = [];
    for (let s = 0; s < 5; s++) {
      const timeNs = BigInt(baseMs) * 1_000_000n +
        BigInt(s * 50_000_000 + Math.floor(rand() * 1000));
      const amp = shaking ? 25 : 0.5;
      payload.push({
        name: "accelerometer",
        time: Number(timeNs),
        values: {
          x: round((rand() - 0.5) * 2 * amp),
          y: round((rand() - 0.5) * 2 * amp),
          z: round((rand() - 0.5) * 2 * amp),
        },
      });
      payload.push({
        name: "gyroscope",
        time: Number(timeNs + 5_000_000n),
        values: { x: round(rand() - 0.5), y: round(rand() - 0.5), z: round(rand() - 0.5) },
      });
    }
    if (q % 40 === 0) {
      payload.push({
        name: "battery",
        time: (baseMs + 1) * 1_000_000,
        values: {
          batteryLevel: round(0.9 - q / 10_000),
          batteryState: "unplugged",
          lowPowerMode: "false",
        },
      });
    }
    if (q % 4 === 0) {
      // Once a second, a position walking north-east at about 1.4 m/s (for the odometer).
      const t = q / 4;
      payload.push({
        name: "location",
        time: (baseMs + 2) * 1_000_000,
        values: {
          latitude: round(51.5 + t * 9e-6),
          longitude: round(-0.12 + t * 1.4e-5),
          altitude: 20,
          speed: 1.4,
          bearing: 45,
          horizontalAccuracy: 5,
        },
      });
    }
    lines.push(JSON.stringify({ messageId: messageId++, sessionId, deviceId, payload }));
  }
  return lines.join("\n") + "\n";
}
