import { deepStrictEqual as assertEquals, ok as assert, throws } from "node:assert";
import { AggSpec } from "../../../lib/stream/windows/_spec.ts";
import {
  Collect,
  Count,
  Latest,
  Max,
  Mean,
  Min,
  Reduce,
  Sum,
} from "../../../lib/stream/windows/aggregations.ts";
import { TimeWindow, windowRanges } from "../../../lib/stream/windows/time_window.ts";
import { WindowStep } from "../../../lib/stream/windows/step.ts";
import type { LateRecord } from "../../../lib/stream/windows/window.ts";
import { captureLogger, Harness, type In } from "./_harness.ts";

const sum = () => new AggSpec({ value: Sum() }, true);

function tumbling(duration: number, grace: number, mode: "current" | "final", spec = sum()) {
  const { logger, lines } = captureLogger();
  const h = new Harness(
    new WindowStep(
      new TimeWindow("tw", spec, duration, grace, duration, { logger, lateLogIntervalMs: 0 }),
      mode,
      {
        logger,
      },
    ),
  );
  return { h, lines };
}

Deno.test("windowRanges: epoch-aligned, oldest first, no negative starts", () => {
  const cases: [number, number, number, [number, number][]][] = [
    [0, 10, 10, [[0, 10]]],
    [9, 10, 10, [[0, 10]]],
    [10, 10, 10, [[10, 20]]],
    [7, 10, 5, [[0, 10], [5, 15]]],
    [3, 10, 5, [[0, 10]]],
    [12, 10, 5, [[5, 15], [10, 20]]],
    [
      10_500,
      10_000,
      1_000,
      Array.from({ length: 10 }, (_, i) => [1000 + i * 1000, 11000 + i * 1000]),
    ],
  ];
  for (const [ts, d, s, want] of cases) {
    assertEquals(windowRanges(ts, d, s), want, `ts=${ts} d=${d} s=${s}`);
  }
});

Deno.test("tumbling final: closes when latest - grace >= end; late records dropped", () => {
  const table: { name: string; grace: number; input: In[]; want: unknown[]; late: number }[] = [
    {
      name: "no grace: the record at the end closes the window",
      grace: 0,
      input: [[1, 1], [5, 2], [10, 3], [25, 4], [9, 100], [19, 100]],
      want: [{ start: 0, end: 10, value: 3 }, { start: 10, end: 20, value: 3 }],
      late: 2,
    },
    {
      name: "grace 5 keeps [0,10) open until latest reaches 15",
      grace: 5,
      input: [[1, 1], [12, 2], [14, 3], [8, 4], [15, 5], [8, 100]],
      want: [{ start: 0, end: 10, value: 5 }],
      late: 1,
    },
    {
      name: "one record far ahead closes several windows at once, oldest first",
      grace: 0,
      input: [[1, 1], [11, 2], [11, 3], [100, 4]],
      want: [{ start: 0, end: 10, value: 1 }, { start: 10, end: 20, value: 5 }],
      late: 0,
    },
  ];
  for (const c of table) {
    const { h, lines } = tumbling(10, c.grace, "final");
    assertEquals(h.values(c.input), c.want, c.name);
    assertEquals(lines.length, c.late, `${c.name}: late warnings\n${lines.join("\n")}`);
  }
});

Deno.test("late warning names topic, partition, offset, window and lateness", () => {
  const { h, lines } = tumbling(10, 0, "final");
  h.push([[25, 1], [9, 1]]);
  assertEquals(lines.length, 1);
  assert(lines[0].includes("WARN"));
  assert(lines[0].includes("timestamp_ms=9 window=(0, 10) late_by_ms=16 store_name=tw"), lines[0]);
  assert(lines[0].includes("partition=t[0] offset=1"), lines[0]);
});

Deno.test("onLate receives the late record; returning false suppresses the warning", () => {
  const seen: LateRecord[] = [];
  const { logger, lines } = captureLogger();
  const w = new TimeWindow("tw", sum(), 10, 0, 10, {
    logger,
    onLate: (l) => {
      seen.push(l);
      return false;
    },
  });
  const h = new Harness(new WindowStep(w, "final", { logger }));
  h.push([[25, 1], [3, 7, "a"], [3, 7]]);
  assertEquals(lines, []);
  assertEquals(seen.length, 1, "key a has its own clock: its record is not late");
  assertEquals(
    { ...seen[0] },
    {
      value: 7,
      key: "k",
      timestampMs: 3,
      lateByMs: 22,
      start: 0,
      end: 10,
      storeName: "tw",
      topic: "t",
      partition: 0,
      offset: 2,
    },
  );
});

Deno.test("the clock is per key: one key's time does not close another's windows", () => {
  const { h } = tumbling(10, 0, "final");
  const out = h.push([[1, 1, "a"], [2, 1, "b"], [30, 1, "a"], [5, 1, "b"], [12, 1, "b"]]);
  assertEquals(out.map((r) => [r.key, r.value]), [
    ["a", { start: 0, end: 10, value: 1 }],
    ["b", { start: 0, end: 10, value: 2 }],
  ]);
  assertEquals(out.map((r) => r.timestamp), [0, 0], "timestamp = window start");
});

Deno.test("tumbling current: every record emits its updated window", () => {
  const { h } = tumbling(10, 0, "current");
  assertEquals(h.values([[1, 1], [5, 2], [12, 3], [4, 9]]), [
    { start: 0, end: 10, value: 1 },
    { start: 0, end: 10, value: 3 },
    { start: 10, end: 20, value: 3 },
  ]);
});

Deno.test("hopping: each record updates duration/step windows; overlaps close in order", () => {
  const { logger } = captureLogger();
  const w = new TimeWindow("hw", sum(), 10, 0, 5, { logger });
  const cur = new Harness(new WindowStep(w, "current", { logger }));
  assertEquals(cur.values([[3, 1], [7, 2], [12, 4]]), [
    { start: 0, end: 10, value: 1 },
    { start: 0, end: 10, value: 3 },
    { start: 5, end: 15, value: 2 },
    { start: 5, end: 15, value: 6 },
    { start: 10, end: 20, value: 4 },
  ]);
  const fin = new Harness(new WindowStep(w, "final", { logger }));
  assertEquals(fin.values([[3, 1], [7, 2], [12, 4], [15, 8], [31, 16]]), [
    { start: 0, end: 10, value: 3 }, // closed by 12
    { start: 5, end: 15, value: 6 }, // closed by 15
    { start: 10, end: 20, value: 12 }, // closed by 31 ...
    { start: 15, end: 25, value: 8 },
  ]);
});

Deno.test("hopping with grace: a record late for one window still counts in the next", () => {
  const { logger, lines } = captureLogger();
  const w = new TimeWindow("hw", sum(), 10, 1, 5, { logger, lateLogIntervalMs: 0 });
  const h = new Harness(new WindowStep(w, "current", { logger }));
  // latest 16 → windows ending <= 15 are closed: 8 misses [0,10) but joins [5,15)?
  // [5,15) ends at 15 <= 16 - 1, so it is closed too; 12 hits [5,15) (closed) and [10,20).
  assertEquals(h.values([[16, 1], [8, 2], [12, 4]]), [
    { start: 10, end: 20, value: 1 },
    { start: 15, end: 25, value: 1 },
    { start: 10, end: 20, value: 5 },
  ]);
  assertEquals(lines.length, 3);
});

Deno.test("aggregations: single ones and agg() with named columns", () => {
  const rows: In[] = [[1, { x: 3, y: "a" }], [2, { x: 1, y: "b" }], [4, { x: 5, y: null }], [0, {
    x: null,
    y: "c",
  }]];
  const single: [string, AggSpec, unknown][] = [
    ["sum", new AggSpec({ value: Sum("x") }, true), 9],
    ["count", new AggSpec({ value: Count() }, true), 4],
    ["count column skips null", new AggSpec({ value: Count("x") }, true), 3],
    ["mean", new AggSpec({ value: Mean("x") }, true), 3],
    ["min", new AggSpec({ value: Min("x") }, true), 1],
    ["max", new AggSpec({ value: Max("x") }, true), 5],
    ["latest by timestamp", new AggSpec({ value: Latest("y") }, true), "b"],
    [
      "reduce",
      new AggSpec({
        value: Reduce((a: number[], v: { x: number }) => [...a, v.x], (v: { x: number }) => [v.x]),
      }, true),
      [3, 1, 5, null],
    ],
    ["collect in timestamp order", new AggSpec({ value: Collect() }, true), [
      rows[3][1],
      rows[0][1],
      rows[1][1],
      rows[2][1],
    ]],
  ];
  for (const [name, spec, want] of single) {
    const { h } = tumbling(10, 0, "final", spec);
    assertEquals(
      h.values([...rows, [10, { x: 0, y: "z" }]]),
      [{ start: 0, end: 10, value: want }],
      name,
    );
  }
  const multi = new AggSpec(
    { total: Sum("x"), n: Count(), avg: Mean("x"), xs: Collect("x") },
    false,
  );
  const { h } = tumbling(10, 0, "final", multi);
  const [out] = h.values([...rows, [10, { x: 0, y: "z" }]]);
  assertEquals(out, { total: 9, n: 4, avg: 3, xs: [null, 3, 1, 5], start: 0, end: 10 });
  assertEquals(Object.keys(out as object), ["total", "n", "avg", "xs", "start", "end"]);
});

Deno.test("collect cannot be used with current(); reserved and empty agg names rejected", () => {
  const { logger } = captureLogger();
  const w = new TimeWindow("tw", new AggSpec({ value: Collect() }, true), 10, 0, 10, { logger });
  throws(() => new WindowStep(w, "current"), /collect\(\) works only with \.final\(\)/);
  throws(() => new AggSpec({ start: Sum() }, false), /"start" is reserved/);
  throws(() => new AggSpec({}, false), /at least one aggregation/);
  throws(() => new TimeWindow("tw", sum(), 10, 0, 20), /step \(20 ms\) must not exceed duration/);
});

Deno.test("null keys are skipped with a warning naming the partition and offset", () => {
  const { logger, lines } = captureLogger();
  const step = new WindowStep(new TimeWindow("tw", sum(), 10, 0), "current", { logger });
  const h = new Harness(step);
  const out = step.process(1, null, 5, {}, h.ctx(42));
  assertEquals(out, []);
  assert(lines[0].includes("key is None") && lines[0].includes("t[0]' offset='42'"), lines[0]);
});

Deno.test("closeAfterIdle: wall-clock idle closes a key's windows; later records are late", () => {
  const { logger, lines } = captureLogger();
  let now = 0;
  const step = new WindowStep(new TimeWindow("tw", sum(), 10, 0, 10, { logger }), "final", {
    closeAfterIdleMs: 100,
    now: () => now,
    logger,
  });
  assert(step.timer && step.timer.intervalMs <= 100);
  const h = new Harness(step);
  h.push([[1, 1, "a"], [5, 2, "a"], [3, 4, "b"]]);
  now = 60;
  h.push([[6, 8, "b"]]);
  assertEquals(h.idle(99), []);
  assertEquals(h.idle(100).map((r) => [r.key, r.value, r.timestamp]), [["a", {
    start: 0,
    end: 10,
    value: 3,
  }, 0]]);
  assertEquals(h.idle(160).map((r) => [r.key, r.value]), [["b", { start: 0, end: 10, value: 12 }]]);
  assertEquals(h.idle(1000), [], "nothing left to close");
  assertEquals(h.values([[7, 100, "a"], [12, 1, "a"], [25, 1, "a"]]), [{
    start: 10,
    end: 20,
    value: 1,
  }]);
  assertEquals(lines.length, 1, "the record for the idle-closed window is late");
});

Deno.test("closeAfterIdle after a restart: stored windows start their idle clock at the first tick", () => {
  const { logger } = captureLogger();
  const mk = () =>
    new WindowStep(new TimeWindow("tw", sum(), 10, 0, 10, { logger }), "final", {
      closeAfterIdleMs: 50,
      now: () => 0,
    });
  const h = new Harness(mk());
  h.push([[1, 1, "a"], [2, 2, "b"]]);
  const restarted = new Harness(mk());
  (restarted as { store: unknown }).store = h.store;
  assertEquals(restarted.idle(1000), [], "first tick only starts the clocks");
  assertEquals(restarted.idle(1050).map((r) => r.key).sort(), ["a", "b"]);
});

Deno.test("late records are summarised: one line per partition per interval, with the count", () => {
  const { logger, lines } = captureLogger();
  let now = 1_000_000;
  // Hopping 10 s / 1 s: each late record falls into ten closed windows.
  const w = new TimeWindow("hw", sum(), 10_000, 0, 1_000, { logger, now: () => now });
  const h = new Harness(new WindowStep(w, "final", { logger }));
  h.push([[100_000, 1]]);
  const late: In[] = Array.from({ length: 50 }, (_, i) => [20_000 + i, 1]);
  h.push(late);
  assertEquals(lines.length, 1, lines.join("\n"));
  assert(lines[0].includes("timestamp_ms=20000 window=(11000, 21000)"), lines[0]);
  assert(!lines[0].includes("more late"), lines[0]);
  assertEquals(w.lateCount, 500);
  now += 10_000;
  h.push([[30_000, 1]]);
  assertEquals(lines.length, 2, lines.join("\n"));
  assert(
    lines[1].endsWith("; 49 more late records skipped on t[0] since the last warning"),
    lines[1],
  );
});
