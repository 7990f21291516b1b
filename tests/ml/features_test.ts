import assert from "node:assert/strict";
import { TestApp } from "../../lib/stream/testing.ts";
import {
  activityFeatures,
  deviceReadings,
  FEATURE_NAMES,
  type FeatureRow,
  type SensorLoggerMessage,
} from "../../lib/ml/features.ts";
import { labelSegments } from "../../lib/ml/labels.ts";
import { activityData } from "./_data.ts";

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

function run(messages: SensorLoggerMessage[]) {
  const app = new TestApp({ consumerGroup: "ml" });
  const input = app.topic<SensorLoggerMessage>("raw");
  const readings = deviceReadings(app.dataframe(input));
  const features = app.collect(activityFeatures(readings));
  const labels = app.collect(labelSegments(readings));
  for (const m of messages) app.push(input, m, { key: "rec", timestamp: 77 });
  return { features: features.map((r) => r.value), labels: labels.map((r) => r.value) };
}

const ms = (t: number) => t * 1_000_000; // ms → ns

Deno.test("features: a hand-checked window (square wave, ramp, constant)", () => {
  // 20 samples at 0, 50, ..., 950 ms after t0: x = ±1 alternating, y = 0..19, z = 3.
  const t0 = 1_000_000;
  const payload = Array.from({ length: 20 }, (_, i) => ({
    name: "accelerometer",
    time: ms(t0 + 50 * i),
    values: { x: i % 2 ? -1 : 1, y: i, z: 3 },
  }));
  // A later sample closes the windows (grace 0.5 s).
  const closer = { name: "accelerometer", time: ms(t0 + 3000), values: { x: 0, y: 0, z: 0 } };
  const { features } = run([
    { deviceId: "d1", payload: [{ name: "annotation", time: ms(t0), values: { text: "still" } }] },
    { deviceId: "d1", payload: payload.slice(0, 9) },
    { deviceId: "d1", payload: [...payload.slice(9), closer] },
  ]);
  // The samples lie in [t0, t0 + 1 s): both 2 s windows covering that second, and no other.
  assert.deepEqual(features.map((f) => [f.start, f.end, f.samples]), [
    [t0 - 1000, t0 + 1000, 20],
    [t0, t0 + 2000, 20],
  ]);
  const f = features[1].features;
  assert.deepEqual(Object.keys(f), FEATURE_NAMES);
  const expected: Record<string, number> = {
    x_mean: 0,
    x_std: 1,
    x_min: -1,
    x_max: 1,
    x_zcr: 1, // every step crosses the mean
    y_mean: 9.5,
    y_std: Math.sqrt((20 * 20 - 1) / 12), // population std of 0..19
    y_min: 0,
    y_max: 19,
    y_zcr: 1 / 19, // the ramp crosses its mean once
    z_mean: 3,
    z_std: 0,
    z_min: 3,
    z_max: 3,
    z_zcr: 0,
  };
  for (const [k, v] of Object.entries(expected)) assert.ok(close(f[k], v), `${k}: ${f[k]} vs ${v}`);
  const mags = payload.map((p) => Math.hypot(p.values.x, p.values.y, p.values.z));
  assert.ok(close(f.mag_min, Math.sqrt(1 + 0 + 9)));
  assert.ok(close(f.mag_max, Math.sqrt(1 + 361 + 9)));
  assert.ok(close(f.mag_mean, mags.reduce((s, v) => s + v, 0) / 20));
  assert.equal(features[0].ingestMs, 77);
  assert.equal(features[0].deviceId, "d1");
});

Deno.test("features: windows with under 20 samples are dropped; other sensors are ignored", () => {
  const payload = Array.from({ length: 10 }, (_, i) => ({
    name: "accelerometer",
    time: ms(5_000 + 100 * i),
    values: { x: 1, y: 2, z: 3 },
  }));
  const { features } = run([{
    deviceId: "d",
    payload: [
      ...payload,
      { name: "gyroscope", time: ms(5_500), values: { x: 9, y: 9, z: 9 } },
      { name: "accelerometer", time: ms(9_000), values: { x: 0, y: 0, z: 0 } },
    ],
  }]);
  assert.deepEqual(features, []);
});

Deno.test("features: the activity recording's windows equal an independent computation", () => {
  const { text, features } = activityData();
  // Independently: parse the lines, pick the device's accelerometer samples in the window.
  const samples = new Map<string, Array<{ t: number; v: number[] }>>();
  for (const line of text.trim().split("\n")) {
    const m = JSON.parse(line);
    for (const r of m.payload) {
      if (r.name !== "accelerometer") continue;
      const list = samples.get(m.deviceId) ?? [];
      list.push({ t: r.time / 1e6, v: [r.values.x, r.values.y, r.values.z] });
      samples.set(m.deviceId, list);
    }
  }
  const check = (row: FeatureRow) => {
    const inside = samples.get(row.deviceId)!.filter((s) => s.t >= row.start && s.t < row.end)
      .sort((a, b) => a.t - b.t);
    assert.equal(row.samples, inside.length);
    const columns = [0, 1, 2].map((i) => inside.map((s) => s.v[i]));
    columns.push(inside.map((s) => Math.sqrt(s.v[0] ** 2 + s.v[1] ** 2 + s.v[2] ** 2)));
    ["x", "y", "z", "mag"].forEach((axis, i) => {
      const c = columns[i];
      const mean = c.reduce((s, v) => s + v, 0) / c.length;
      const std = Math.sqrt(c.reduce((s, v) => s + (v - mean) ** 2, 0) / c.length);
      let crossings = 0;
      for (let j = 1; j < c.length; j++) {
        if (Math.sign(c[j] - mean) * Math.sign(c[j - 1] - mean) === -1) crossings++;
      }
      const want = [mean, std, Math.min(...c), Math.max(...c), crossings / (c.length - 1)];
      ["mean", "std", "min", "max", "zcr"].forEach((stat, k) => {
        const got = row.features[`${axis}_${stat}`];
        assert.ok(close(got, want[k]), `${row.deviceId}@${row.start} ${axis}_${stat}`);
      });
    });
  };
  assert.ok(features.length > 700, `${features.length} windows`);
  for (let i = 0; i < features.length; i += 37) check(features[i]);
});

Deno.test("labels: annotations become closed segments per device", () => {
  const a = (deviceId: string, t: number, text: string) => ({
    deviceId,
    payload: [{
      name: "annotation",
      time: ms(t),
      values: { text, millisecond_press_duration: 90 },
    }],
  });
  const { labels } = run([
    a("p", 1000, "walking"),
    a("q", 1500, "still"),
    a("p", 9000, "running"),
    a("p", 20000, "end"),
  ]);
  assert.deepEqual(labels, [
    { deviceId: "p", label: "walking", start: 1000, end: 9000 },
    { deviceId: "p", label: "running", start: 9000, end: 20000 },
  ]);
});

Deno.test("activity recording: apps/activity_stream.json is what the seeded generator makes", async () => {
  const file = await Deno.readTextFile(new URL("../../apps/activity_stream.json", import.meta.url));
  assert.ok(file === activityData().text, "regenerate: deno task gen:demo --activity");
});

Deno.test("features: malformed readings are skipped, not fatal", () => {
  const good = Array.from({ length: 25 }, (_, i) => ({
    name: "accelerometer",
    time: ms(10_000 + 50 * i),
    values: { x: 1, y: 2, z: i },
  }));
  const { features, labels } = run([{
    deviceId: "d",
    payload: [
      // deno-lint-ignore no-explicit-any
      { name: "accelerometer", time: "soon", values: { x: 1, y: 1, z: 1 } } as any,
      // deno-lint-ignore no-explicit-any
      { name: "accelerometer", time: ms(10_010) } as any,
      // deno-lint-ignore no-explicit-any
      { name: "annotation", time: ms(10_020), values: { text: 7 } } as any,
      // deno-lint-ignore no-explicit-any
      null as any,
      ...good,
      { name: "accelerometer", time: ms(13_000), values: { x: 0, y: 0, z: 0 } },
    ],
  }, { deviceId: "d", payload: "nope" } as unknown as SensorLoggerMessage]);
  assert.deepEqual(features.map((f) => f.samples), [20, 25]);
  assert.deepEqual(labels, []);
});
