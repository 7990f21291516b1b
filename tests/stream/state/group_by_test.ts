import { deepStrictEqual as assertEquals, throws } from "node:assert";
import { TestApp } from "../../../lib/stream/testing.ts";

Deno.test("groupBy(column) re-keys through repartition__<group>--<stream>--<name>", () => {
  const app = new TestApp({ consumerGroup: "g" });
  const input = app.topic<{ device: string; v: number }>("in");
  const sums = app.collect(
    app.dataframe(input).groupBy("device").apply((row, state) => {
      const total = (state.get<number>("sum", 0) ?? 0) + row.v;
      state.set("sum", total);
      return total;
    }, { stateful: true }),
  );
  const rows: [string, string, number][] = [["a", "x", 1], ["b", "x", 2], ["a", "y", 4], [
    "c",
    "x",
    8,
  ]];
  for (const [key, device, v] of rows) app.push(input, { device, v }, { key, timestamp: v * 10 });
  assertEquals(sums.map((r) => [r.key, r.value, r.timestamp]), [["x", 1, 10], ["x", 3, 20], [
    "y",
    4,
    40,
  ], ["x", 11, 80]]);
  const repartitioned = app.produced("repartition__g--in--device");
  assertEquals(repartitioned.map((r) => r.key), ["x", "x", "y", "x"]);
});

Deno.test("groupBy(fn) needs a name; nesting and duplicates are refused", () => {
  const app = new TestApp({ consumerGroup: "g" });
  const sdf = app.dataframe(app.topic<{ a: number }>("in"));
  throws(() => sdf.groupBy((v) => v.a), /a \{ name \} is required/);
  const grouped = sdf.groupBy((v) => v.a % 2, { name: "parity" });
  throws(() => grouped.groupBy("a"), /nested groupBy is not supported/);
  throws(() => sdf.groupBy((v) => v.a, { name: "parity" }), /defined twice/);
  const rows = app.collect(sdf.groupBy("a"));
  throws(() => app.push("in", { b: 1 } as never, { key: "k" }), /no column "a"/);
  assertEquals(rows.length, 0);
});
