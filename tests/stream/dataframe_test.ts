import { assert, assertEquals, assertThrows } from "./_assert.ts";
import { TestApp, testDataFrame } from "../../lib/stream/testing.ts";
import { ColumnError, ProcessingError, SerializationError } from "../../lib/stream/errors.ts";
import type { StreamingDataFrame } from "../../lib/stream/dataframe/dataframe.ts";
import type { State } from "../../lib/stream/state/types.ts";

Deno.test("apply, filter, expand keep order and metadata", () => {
  const rows = testDataFrame<{ items: number[] }, number>(
    (sdf) => sdf.apply((v) => v.items, { expand: true }).filter((n) => n % 2 === 1),
    [{ value: { items: [1, 2, 3] }, key: "k", timestamp: 7 }, { value: { items: [5] } }],
  );
  assertEquals(rows.map((r) => [r.value, r.key, r.timestamp]), [[1, "k", 7], [3, "k", 7], [
    5,
    null,
    0,
  ]]);
});

Deno.test("metadata callbacks receive key, timestamp and headers", () => {
  const rows = testDataFrame<number, string>(
    (sdf) =>
      sdf.apply((v, key, ts, headers) => `${v}/${key}/${ts}/${headers.h}`, { metadata: true }),
    [{ value: 1, key: "a", timestamp: 10, headers: { h: "x" } }],
  );
  assertEquals(rows[0].value, "1/a/10/x");
});

Deno.test("contains narrows, project and assign build new columns", () => {
  type In = { "accelerometer-x"?: number; y?: number; time: number };
  const rows = testDataFrame<In, { time: number; x: number; total: number }>(
    (sdf) =>
      sdf.contains("accelerometer-x")
        .apply((v) => ({ time: v.time, x: v["accelerometer-x"] }))
        .assign("total", (v) => Math.abs(v.x) * 2),
    [{ value: { time: 1, y: 2 } }, { value: { time: 2, "accelerometer-x": -3 } }],
  );
  assertEquals(rows.map((r) => r.value), [{ time: 2, x: -3, total: 6 }]);
  const projected = testDataFrame<{ a: number; b: number; c: number }, { a: number; c: number }>(
    (sdf) => sdf.project(["a", "c"]),
    [{ value: { a: 1, b: 2, c: 3 } }],
  );
  assertEquals(projected[0].value, { a: 1, c: 3 });
});

Deno.test("project of a missing column fails naming the column and the message", () => {
  const app = new TestApp();
  const input = app.topic<{ a?: number }>("in");
  app.dataframe(input).project(["a"]);
  const err = assertThrows(
    () => app.push(input, {}, { partition: 2, offset: 41 }),
    ProcessingError,
  );
  assert(err.message.includes("in[2]@41"), err.message);
  assert(err.message.includes('column "a" does not exist'), err.message);
  assert((err as ProcessingError).cause instanceof ColumnError);
});

Deno.test("expand takes any iterable (array, Set, generator), with state and metadata", () => {
  function* twice(n: number) {
    yield n;
    yield n * 10;
  }
  const rows = testDataFrame<number, string>(
    (sdf) =>
      sdf.apply((v) => new Set([v, v + 1]), { expand: true })
        .apply(twice, { expand: true })
        .apply((v, key, _t, _h, state: State) => {
          const seen = (state.get<number>("n", 0) ?? 0) + 1;
          state.set("n", seen);
          return [`${key}:${v}:${seen}`];
        }, { expand: true, metadata: true, stateful: true }),
    [{ value: 1, key: "k" }],
  );
  assertEquals(rows.map((r) => r.value), ["k:1:1", "k:10:2", "k:2:3", "k:20:4"]);
});

Deno.test("expand of a non-iterable and assign/drop on a non-object fail naming the step", () => {
  const cases: [(sdf: StreamingDataFrame<unknown>) => unknown, unknown, string][] = [
    [
      (sdf) => sdf.apply(() => 5 as unknown as number[], { expand: true }),
      1,
      "must return an iterable",
    ],
    [(sdf) => sdf.assign("x", () => 1), [1], 'assign("x") needs an object value, got an array'],
    [(sdf) => sdf.drop([] as never[]), null, "drop needs an object value, got null"],
    [(sdf) => sdf.project([] as never[]), "s", "project needs an object value, got string"],
  ];
  for (const [build, value, message] of cases) {
    const app = new TestApp();
    const input = app.topic<unknown>("in");
    build(app.dataframe(input));
    const err = assertThrows(() => app.push(input, value), ProcessingError);
    assert(err.message.includes(message), err.message);
  }
});

Deno.test("drop removes every listed column in place", () => {
  const rows = testDataFrame<{ a: number; b: number; c: number }, { b: number }>(
    (sdf) => sdf.drop(["a", "c"]),
    [{ value: { a: 1, b: 2, c: 3 } }],
  );
  assertEquals(rows.map((r) => r.value), [{ b: 2 }]);
});

Deno.test("update mutates in place and returns the same dataframe", () => {
  const app = new TestApp();
  const input = app.topic<{ n: number }>("in");
  const sdf = app.dataframe(input);
  const same = sdf.update((v) => {
    v.n += 1;
  });
  assert(same === sdf);
  sdf.toTopic(app.topic("out"));
  app.push(input, { n: 1 }, { key: "k" });
  assertEquals(app.produced("out").map((r) => [r.value, r.key]), [[{ n: 2 }, "k"]]);
});

Deno.test("branches run in order on independent copies", () => {
  const app = new TestApp();
  const input = app.topic<{ n: number }>("in");
  const sdf = app.dataframe(input);
  const a = app.collect(sdf.update((v) => {
    v.n = 100;
  }));
  // Branch off the root again: must not see branch a's mutation.
  const b = app.collect(sdf.apply((v) => v));
  app.push(input, { n: 1 });
  assertEquals(a.map((r) => r.value), [{ n: 100 }]);
  assertEquals(b.map((r) => r.value), [{ n: 100 }]);
  // `update` extended `sdf` in place, so b comes after it; a real branch point copies:
  const app2 = new TestApp();
  const in2 = app2.topic<{ n: number }>("in");
  const root = app2.dataframe(in2);
  const x = app2.collect(root.apply((v) => {
    v.n = 100;
    return v;
  }));
  const y = app2.collect(root.apply((v) => v));
  app2.push(in2, { n: 1 });
  assertEquals(x.map((r) => r.value), [{ n: 100 }]);
  assertEquals(y.map((r) => r.value), [{ n: 1 }]);
});

Deno.test("toTopic keeps or recomputes the key and round-trips through the formats", () => {
  const app = new TestApp();
  const input = app.topic<{ id: number; v: number }>("in");
  const out = app.topic("out", { valueSerializer: "double", valueDeserializer: "double" });
  const sdf = app.dataframe(input);
  sdf.apply((v) => v.v).toTopic(out);
  sdf.toTopic(app.topic("by-id"), { key: (v) => `id-${v.id}` });
  app.push(input, { id: 3, v: 1.5 }, { key: "orig", timestamp: 9 });
  assertEquals(app.produced("out").map((r) => [r.value, r.key, r.timestamp]), [[1.5, "orig", 9]]);
  assertEquals(app.produced("by-id").map((r) => r.key), ["id-3"]);
});

Deno.test("toTopic of an unserializable value fails with a serialization error", () => {
  const app = new TestApp();
  const input = app.topic<number>("in");
  app.dataframe(input).apply((v) => BigInt(v)).toTopic(app.topic("out"));
  const err = assertThrows(() => app.push(input, 1), ProcessingError, "in[0]@0");
  assert((err as ProcessingError).cause instanceof SerializationError, String(err.cause));
});

Deno.test("setTimestamp and setHeaders change metadata downstream", () => {
  const rows = testDataFrame<{ t: number }, { t: number }>(
    (sdf) => sdf.setTimestamp((v) => v.t * 1000).setHeaders((_v, key) => ({ src: `${key}` })),
    [{ value: { t: 5 }, key: "a", timestamp: 1 }],
  );
  assertEquals([rows[0].timestamp, rows[0].headers], [5000, { src: "a" }]);
});

Deno.test("stateful apply keeps per-key state", async () => {
  const app = new TestApp();
  const input = app.topic<number>("in");
  const sums = app.collect(
    app.dataframe(input).apply((v: number, state: State) => {
      const total = state.get<number>("total", 0)! + v;
      state.set("total", total);
      return total;
    }, { stateful: true }),
  );
  app.push(input, 1, { key: "a" });
  app.push(input, 2, { key: "b" });
  await app.checkpoint();
  app.push(input, 3, { key: "a" });
  assertEquals(sums.map((r) => r.value), [1, 2, 4]);
  await app.close();
});

Deno.test("state TTL is event-time based", () => {
  const app = new TestApp();
  const input = app.topic<string>("in");
  const seen = app.collect(
    app.dataframe(input).apply((v: string, state: State) => {
      const had = state.exists("x");
      if (v === "set") state.set("x", 1, { ttlMs: 100 });
      return had;
    }, { stateful: true }),
  );
  app.push(input, "set", { key: "k", timestamp: 1000 });
  app.push(input, "get", { key: "k", timestamp: 1099 });
  app.push(input, "get", { key: "k", timestamp: 1100 });
  assertEquals(seen.map((r) => r.value), [false, true, false]);
});

Deno.test("print and printTable write plain lines when not a terminal", () => {
  const app = new TestApp();
  const input = app.topic<{ a: number; b: number }>("in");
  app.dataframe(input).print().printTable({ columns: ["b"] });
  app.push(input, { a: 1, b: 2 });
  assertEquals(app.printed, ['{"a":1,"b":2}', '{"b":2}']);
});

Deno.test("transform steps reach stores and fire timers", () => {
  const app = new TestApp();
  const input = app.topic<number>("in");
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const out = app.collect(
    app.dataframe(input).transform<string>({
      *process(value, key, timestamp, headers, ctx) {
        ctx.store("count").set(enc.encode(String(key)), enc.encode(String(value)));
        if (value < 0) {
          yield {
            value: `neg ${ctx.topic}[${ctx.partition}]@${ctx.offset}`,
            key,
            timestamp,
            headers,
          };
        }
      },
      timer: {
        intervalMs: 1000,
        *fire(now, ctx) {
          for (
            const [k, v] of ctx.store("count").scan(new Uint8Array([0]), new Uint8Array([255]))
          ) {
            yield {
              value: `${dec.decode(k)}=${dec.decode(v)}@${now}`,
              key: null,
              timestamp: now,
              headers: {},
            };
          }
        },
      },
    }, { stores: ["count"] }),
  );
  app.push(input, -1, { key: "a", partition: 1 });
  app.push(input, 7, { key: "b", partition: 1 });
  app.tick(5);
  assertEquals(out.map((r) => r.value), ["neg in[1]@0", "a=-1@5", "b=7@5"]);
  assert(app.registry.streams.get("in")!.stores.has("count"));
});

Deno.test("rows produced to a topic feed dataframes reading it", () => {
  const app = new TestApp();
  const input = app.topic<{ user: string }>("in");
  const rekeyed = app.topic<{ user: string }>("rekeyed");
  app.dataframe(input).toTopic(rekeyed, { key: (v) => v.user });
  const rows = app.collect(app.dataframe(rekeyed));
  app.push(input, { user: "u1" }, { key: "device" });
  assertEquals(rows.map((r) => [r.value, r.key]), [[{ user: "u1" }, "u1"]]);
});

// Compile-time checks: these must type-check (deno check runs on tests).
function _types(sdf: StreamingDataFrame<{ a: number; b?: string }>) {
  const s1: StreamingDataFrame<string> = sdf.apply((v) => String(v.a));
  const s2: StreamingDataFrame<number> = sdf.apply((v) => [v.a, v.a], { expand: true });
  const s3: StreamingDataFrame<{ b: string }> = sdf.contains("b").project(["b"]);
  const s4: StreamingDataFrame<{ a: number; b?: string; c: boolean }> = sdf.assign(
    "c",
    (v) => v.a > 0,
  );
  const s5: StreamingDataFrame<{ a: 1 }> = sdf.filter((v): v is { a: 1 } => v.a === 1);
  return [s1, s2, s3, s4, s5];
}

Deno.test("printTable on a terminal redraws a table of the latest rows in place", async () => {
  const app = new TestApp({ terminal: true });
  const input = app.topic<{ a: number; b?: string }>("in");
  app.dataframe(input).printTable({ size: 2, title: "t", slowdownMs: 0 });
  app.push(input, { a: 1 });
  app.push(input, { a: 2, b: "x" });
  app.push(input, { a: 3 });
  const last = app.printed.at(-1)!;
  assert(
    last.startsWith("\x1b[") && last.includes("A\x1b[J"),
    "redraw moves the cursor up and clears",
  );
  const lines = last.slice(last.indexOf("\x1b[J") + 3).split("\n");
  assertEquals(lines, [
    "t",
    "┌───┬───┐",
    "│ a │ b │",
    "├───┼───┤",
    "│ 2 │ x │",
    "│ 3 │   │",
    "└───┴───┘",
  ]);
  await app.checkpoint();
});

Deno.test("timestampExtractor sets the event time", () => {
  const app = new TestApp();
  const input = app.topic<{ ts: number }>("in", { timestampExtractor: (v) => v.ts * 1000 });
  const rows = app.collect(app.dataframe(input));
  app.push(input, { ts: 7 }, { timestamp: 1 });
  assertEquals(rows[0].timestamp, 7000);
});

Deno.test("sink gets rows with their origin and is flushed at checkpoints", async () => {
  const app = new TestApp();
  const input = app.topic<number>("in");
  const written: string[] = [];
  let flushed = 0;
  let closed = false;
  app.dataframe(input).filter((n) => n > 0).sink({
    add: (row, ctx) =>
      void written.push(
        `${row.value}/${row.key} from ${ctx.topic}[${ctx.partition}]@${ctx.offset}`,
      ),
    flush: () => void flushed++,
    close: () => void (closed = true),
  });
  app.push(input, 5, { key: "k", partition: 1 });
  app.push(input, -1, { partition: 1 });
  app.push(input, 6, { partition: 1 });
  assertEquals(written, ["5/k from in[1]@0", "6/null from in[1]@2"]);
  assertEquals(flushed, 0);
  await app.checkpoint();
  assertEquals(flushed, 1);
  await app.close();
  assert(closed);
});

Deno.test("project keeps a present-but-undefined column; contains checks every column", () => {
  const projected = testDataFrame<{ a?: number; b: number }, { a?: number }>(
    (sdf) => sdf.project(["a"]),
    [{ value: { a: undefined, b: 1 } }, { value: { a: 2, b: 3 } }],
  );
  assertEquals(projected.map((r) => Object.keys(r.value)), [["a"], ["a"]]);
  assertEquals(projected[1].value, { a: 2 });
  type AB = { a?: number; b?: number | null };
  const kept = testDataFrame<AB, AB>(
    (sdf) => sdf.contains("a", "b") as unknown as StreamingDataFrame<AB>,
    [
      { value: { a: 1, b: 2 } },
      { value: { a: 1 } },
      { value: { a: 1, b: null } },
      { value: { b: 2 } },
    ],
  );
  assertEquals(kept.map((r) => r.value), [{ a: 1, b: 2 }]);
});
