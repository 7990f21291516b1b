import assert from "node:assert/strict";
import { TestApp } from "../../mod.ts";
import { countBySensor, type SensorCount } from "../../apps/group_by.ts";
import type { SensorMessage } from "../../apps/normalize.ts";
import { demoLines } from "./_helpers.ts";

Deno.test("group_by: readings per sensor per closed 10 s window, each sensor under its own key", async () => {
  const lines = (await demoLines()).slice(0, 600);
  const app = new TestApp({ consumerGroup: "group_by" });
  const input = app.topic<SensorMessage>("raw-data");
  const rows = app.collect(countBySensor(app.dataframe(input)));
  for (const l of lines) app.push(input, JSON.parse(l), { key: "demo_stream.json" });

  // The same count as a batch: a window is closed once its sensor saw a later reading.
  const counts = new Map<string, number>();
  const latest = new Map<string, number>();
  for (const l of lines) {
    for (const r of (JSON.parse(l) as SensorMessage).payload) {
      const ms = Math.floor(r.time / 1_000_000);
      const start = ms - (ms % 10_000);
      const k = `${r.name}@${start}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      latest.set(r.name, Math.max(latest.get(r.name) ?? 0, ms));
    }
  }
  const expected = [...counts].filter(([k]) => {
    const [sensor, start] = k.split("@");
    return latest.get(sensor)! >= Number(start) + 10_000;
  }).map(([k, n]) => `${k}=${n}`).sort();
  const got = rows.map((r) => {
    const v = r.value as SensorCount;
    assert.equal(r.key, v.sensor);
    return `${v.sensor}@${v.start}=${v.readings}`;
  }).sort();
  assert.ok(got.length > 10);
  assert.deepEqual(got, expected);
});
