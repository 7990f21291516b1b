import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { TestApp } from "../../../lib/stream/testing.ts";
import { Count, Latest, Max, Mean } from "../../../lib/stream/windows/aggregations.ts";

Deno.test("sdf.tumblingWindow(...).mean().final(): Quix output shape, timestamp = start", () => {
  const app = new TestApp();
  const input = app.topic<number>("in");
  const rows = app.collect(app.dataframe(input).tumblingWindow("10s").mean().final());
  for (const [ts, v] of [[1000, 2], [5000, 4], [10_000, 1], [12_000, 3], [21_000, 0]]) {
    app.push(input, v, { key: "dev", timestamp: ts });
  }
  assertEquals(rows.map((r) => [r.key, r.timestamp, r.value]), [
    ["dev", 0, { start: 0, end: 10_000, value: 3 }],
    ["dev", 10_000, { start: 10_000, end: 20_000, value: 2 }],
  ]);
});

Deno.test("hopping agg() with named columns, current(); stores are registered for changelogs", () => {
  const app = new TestApp();
  const input = app.topic<{ speed: number; lat: number }>("in");
  const sdf = app.dataframe(input).hoppingWindow(10, 5, 0, { name: "gps" }).agg({
    n: Count(),
    avg: Mean("speed"),
    top: Max("speed"),
    lat: Latest("lat"),
  }).current();
  const rows = app.collect(sdf);
  app.push(input, { speed: 10, lat: 1 }, { key: "k", timestamp: 7 });
  app.push(input, { speed: 20, lat: 2 }, { key: "k", timestamp: 8 });
  assertEquals(rows.map((r) => r.value), [
    { n: 1, avg: 10, top: 10, lat: 1, start: 0, end: 10 },
    { n: 1, avg: 10, top: 10, lat: 1, start: 5, end: 15 },
    { n: 2, avg: 15, top: 20, lat: 2, start: 0, end: 10 },
    { n: 2, avg: 15, top: 20, lat: 2, start: 5, end: 15 },
  ]);
  assertEquals([...app.registry.streams.get("in")!.stores], ["gps_hopping_window_10_5"]);
});

Deno.test("reduce with final({ closeAfterIdle }) closes on the harness clock", () => {
  const app = new TestApp();
  const input = app.topic<{ v: number }>("in");
  const rows = app.collect(
    app.dataframe(input).tumblingWindow(1000).reduce(
      (acc: number[], x) => [...acc, x.v],
      (x) => [x.v],
    ).final({ closeAfterIdle: "2s" }),
  );
  app.push(input, { v: 1 }, { key: "a", timestamp: 100 });
  app.push(input, { v: 2 }, { key: "a", timestamp: 200 });
  app.tick(Date.now());
  assertEquals(rows.length, 0);
  app.tick(Date.now() + 5000);
  assertEquals(rows.map((r) => [r.key, r.value]), [["a", { start: 0, end: 1000, value: [1, 2] }]]);
});

Deno.test("bad durations and counts fail with the parameter's name", () => {
  const app = new TestApp();
  const sdf = app.dataframe(app.topic("in"));
  throws(
    () => sdf.tumblingWindow("10 parsecs"),
    /tumblingWindow duration: cannot parse "10 parsecs"/,
  );
  throws(() => sdf.hoppingWindow("10s", 0), /hoppingWindow step: must be greater than 0/);
  throws(() => sdf.slidingWindow(10, -1), /grace: expected a non-negative/);
  throws(() => sdf.tumblingCountWindow(0).sum(), /count must be a positive integer/);
  throws(
    () => sdf.tumblingCountWindow(3).sum().final({ closeAfterIdle: 10 }),
    /count windows cannot close on idle/,
  );
  throws(
    () => sdf.sessionWindow("1m").collect().current(),
    /collect\(\) works only with \.final\(\)/,
  );
});
