// Episode 2's apps on the project's demo recording (demo_stream.json), through the
// dataframe harness, against expectations computed here in batch form (no windows engine).
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert";
import { TestApp } from "../../../lib/stream/testing.ts";
import type { AccelerometerRow, SensorMessage } from "../../../apps/normalize.ts";
import { windows } from "../../../apps/windows.ts";
import { normalizeWindowed } from "../../../apps/normalize_windowed.ts";
import { downsample } from "../../../apps/downsampling.ts";
import { expectedDownsampled } from "../../apps/_downsampled.ts";
import { haversine, odometer } from "../../../apps/odometer.ts";

const lines = Deno.readTextFileSync(new URL("../../../demo_stream.json", import.meta.url))
  .split("\n").filter((l) => l.trim());
const messages = lines.map((l) => JSON.parse(l) as SensorMessage);
const KEY = "demo_stream.json";

interface Reading {
  ts: number;
  clock: number;
  columns: Record<string, number | string>;
}

/** Readings in arrival order with the key's event-time clock after each one. */
function readings(): Reading[] {
  const out: Reading[] = [];
  let clock = 0;
  for (const m of messages) {
    for (const r of m.payload) {
      const ts = Math.floor(r.time / 1_000_000);
      clock = Math.max(clock, ts);
      const columns: Record<string, number | string> = {};
      for (const [d, v] of Object.entries(r.values)) columns[`${r.name}-${d}`] = v;
      out.push({ ts, clock, columns });
    }
  }
  return out;
}

function run<T>(build: (app: TestApp) => { rows: { value: T }[] }): T[] {
  const app = new TestApp();
  const { rows } = build(app);
  for (const m of messages) app.push("raw-data", m, { key: KEY, timestamp: 0 });
  return rows.map((r) => r.value);
}

Deno.test("episode 2: hopping 10 s / 1 s / grace 1 s merges the recording into an even table", () => {
  const got = run((app) => ({
    rows: app.collect(normalizeWindowed(app.dataframe(app.topic<SensorMessage>("raw-data")))),
  }));

  // Batch expectation: window [s, s+10 s) gets every reading inside it that arrived while
  // the clock minus the grace was still below the window end; a window is emitted when the
  // final clock minus the grace reaches its end.
  const rs = readings();
  const finalClock = rs[rs.length - 1].clock;
  const windows = new Map<number, Record<string, number | string>>();
  for (const r of rs) {
    for (let s = r.ts - (r.ts % 1000); s > r.ts - 10_000 && s >= 0; s -= 1000) {
      if (s + 10_000 <= r.clock - 1000) continue; // late for this window
      windows.set(s, Object.assign(windows.get(s) ?? {}, r.columns));
    }
  }
  const want = [...windows].filter(([s]) => s + 10_000 <= finalClock - 1000)
    .sort((a, b) => a[0] - b[0])
    .map(([s, cols]) => ({ time: s + 10_000, ...cols }));

  assert(want.length > 30, `the recording spans ${want.length} closed windows`);
  assertEquals(got, want);
  // Even: one row per second, each with every sensor dimension seen in its 10 s.
  for (let i = 1; i < got.length; i++) assertEquals(got[i].time - got[i - 1].time, 1000);
  const full = got.slice(10, -1);
  for (const row of full) {
    for (const col of ["accelerometer-x", "gyroscope-z", "location-latitude"]) {
      assert(col in row, `${col} missing at ${row.time}`);
    }
  }
});

Deno.test("episode 3: downsampling gives mean/max g and the last position per 10 s", () => {
  const got = run((app) => ({
    rows: app.collect(downsample(app.dataframe(app.topic<SensorMessage>("raw-data")))),
  }));
  const want = expectedDownsampled(messages);
  assert(want.length >= 3);
  assertEquals(got.length, want.length);
  for (const [i, w] of want.entries()) {
    const row = got[i];
    assertEquals([row.start, row.end, row.latitude, row.longitude], [
      w.start,
      w.start + 10_000,
      w.latitude,
      w.longitude,
    ]);
    assert(Math.abs((row["g-mean"] ?? 0) - (w.mean ?? 0)) < 1e-9, `g-mean at ${w.start}`);
    assert(Math.abs((row["g-max"] ?? 0) - (w.max ?? 0)) < 1e-9, `g-max at ${w.start}`);
  }
});

Deno.test("episode 2: the odometer's running total equals the summed steps", () => {
  const got = run((app) => ({
    rows: app.collect(odometer(app.dataframe(app.topic<SensorMessage>("raw-data")))),
  }));
  let total = 0;
  let last: [number, number] | undefined;
  for (const m of messages) {
    for (const r of m.payload) {
      if (r.name !== "location") continue;
      const lat = Number(r.values.latitude);
      const lon = Number(r.values.longitude);
      if (last) total += haversine(last[0], last[1], lat, lon);
      last = [lat, lon];
    }
  }
  assert(got.length > 10);
  assertEquals(got[got.length - 1].total, total);
});

Deno.test("episode 2: the windows app's tumbling mean, custom reduce and hopping mean", () => {
  const app = new TestApp();
  const input = app.topic<AccelerometerRow>("table-data");
  const rows = windows(app.dataframe(input)).map((sdf) => app.collect(sdf));
  const at = (s: number, total: number): AccelerometerRow => ({
    time: s * 1e9,
    "accelerometer-x": 0,
    "accelerometer-y": 0,
    "accelerometer-z": 0,
    "accelerometer-total": total,
  });
  for (const [s, total] of [[1, 60], [4, 80], [7, 70], [12, 90], [31, 50]]) {
    app.push(input, at(s, total), { key: KEY });
  }
  const [mean, reduce, hopping] = rows.map((r) => r.map((x) => x.value));
  assertEquals(mean, [
    { window: "tumbling-mean", start: 0, end: 10_000, value: 70 },
    { window: "tumbling-mean", start: 10_000, end: 20_000, value: 90 },
  ]);
  assertEquals(reduce[0], {
    window: "tumbling-reduce",
    start: 0,
    end: 10_000,
    value: { min: 60, max: 80, count: 3 },
  });
  // Hopping 10 s / 5 s: [0,10) {60,80,70}, [5,15) {70,90}, [10,20) {90}; 31 closes them all.
  assertEquals(hopping.map((w) => [w.start, w.value]), [[0, 70], [5000, 80], [10_000, 90]]);
});
