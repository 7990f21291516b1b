import { deepStrictEqual as assertEquals } from "node:assert";
import { AggSpec } from "../../../lib/stream/windows/_spec.ts";
import { Collect, Reduce, Sum } from "../../../lib/stream/windows/aggregations.ts";
import { SlidingWindow } from "../../../lib/stream/windows/sliding_window.ts";
import { SessionWindow } from "../../../lib/stream/windows/session_window.ts";
import { CountWindow } from "../../../lib/stream/windows/count_window.ts";
import { type WindowMode, WindowStep } from "../../../lib/stream/windows/step.ts";
import type { WindowProcessor } from "../../../lib/stream/windows/window.ts";
import { captureLogger, Harness, type In } from "./_harness.ts";

const sum = () => new AggSpec({ value: Sum() }, true);

function run(
  p: (log: ReturnType<typeof captureLogger>["logger"]) => WindowProcessor,
  mode: WindowMode,
  input: In[],
) {
  const { logger, lines } = captureLogger();
  const h = new Harness(new WindowStep(p(logger), mode, { logger }));
  return { out: h.values(input), lines };
}

Deno.test("sliding final: one window per record timestamp, both ends inclusive", () => {
  const table: {
    name: string;
    d: number;
    grace: number;
    input: In[];
    want: unknown[];
    late: number;
  }[] = [
    {
      name: "start is inclusive: the record at t - duration is in the window",
      d: 10,
      grace: 0,
      input: [[5, 1], [15, 2], [40, 4]],
      want: [{ start: 0, end: 5, value: 1 }, { start: 5, end: 15, value: 3 }],
      late: 0,
    },
    {
      name: "a window closes only when latest - grace > end (strictly)",
      d: 10,
      grace: 0,
      input: [[5, 1], [12, 2], [20, 4], [20, 8], [21, 16]],
      want: [
        { start: 0, end: 5, value: 1 },
        { start: 2, end: 12, value: 3 },
        { start: 10, end: 20, value: 14 },
      ],
      late: 0,
    },
    {
      name: "records at or before latest - grace - 1 - duration are late",
      d: 10,
      grace: 2,
      input: [[30, 1], [17, 100], [21, 2], [40, 4]],
      want: [{ start: 20, end: 30, value: 3 }],
      // 17 is dropped; 21 counts in 30's window, and its own window [11,21] (past the
      // watermark, with no earlier window stored) is skipped without onLate, as in Quix.
      late: 1,
    },
    {
      name: "windows near the epoch start at 0",
      d: 100,
      grace: 0,
      input: [[3, 1], [50, 2], [500, 0]],
      want: [{ start: 0, end: 3, value: 1 }, { start: 0, end: 50, value: 3 }],
      late: 0,
    },
  ];
  for (const c of table) {
    const { out, lines } = run(
      (logger) => new SlidingWindow("sw", sum(), c.d, c.grace, { logger }),
      "final",
      c.input,
    );
    assertEquals(out, c.want, c.name);
    assertEquals(lines.length, c.late, `${c.name}\n${lines.join("\n")}`);
  }
});

Deno.test("sliding current: the record's own window, then later windows it falls into", () => {
  const { out } = run((logger) => new SlidingWindow("sw", sum(), 10, 5, { logger }), "current", [
    [5, 1],
    [15, 2],
    [12, 4],
  ]);
  assertEquals(out, [
    { start: 0, end: 5, value: 1 },
    { start: 5, end: 15, value: 3 },
    { start: 2, end: 12, value: 5 },
    { start: 5, end: 15, value: 7 },
  ]);
});

Deno.test("sliding collect and reduce fold in arrival order within each window", () => {
  const spec = new AggSpec({
    all: Collect(),
    r: Reduce((a: string, v: string) => a + v, (v: string) => v),
  }, false);
  const { out } = run((logger) => new SlidingWindow("sw", spec, 10, 5, { logger }), "final", [
    [5, "a"],
    [3, "b"],
    [9, "c"],
    [30, "z"],
  ]);
  assertEquals(out, [
    { r: "b", all: ["b"], start: 0, end: 3 },
    { r: "ab", all: ["b", "a"], start: 0, end: 5 },
    { r: "abc", all: ["b", "a", "c"], start: 0, end: 9 },
  ]);
});

Deno.test("session windows: gaps split, bridging records merge, grace and lateness", () => {
  const table: { name: string; grace: number; input: In[]; want: unknown[]; late: number }[] = [
    {
      name: "a gap >= timeout starts a new session; end = last + timeout",
      grace: 0,
      input: [[0, 1], [5, 1], [20, 1], [29, 1], [60, 1]],
      want: [{ start: 0, end: 15, value: 2 }, { start: 20, end: 39, value: 2 }],
      late: 0,
    },
    {
      name: "a record bridging two open sessions merges them",
      grace: 10,
      input: [[0, 1], [15, 2], [8, 4], [50, 8]],
      want: [{ start: 0, end: 25, value: 7 }],
      late: 0,
    },
    {
      name: "a record whose session would already be closed is late",
      grace: 0,
      input: [[0, 1], [30, 2], [15, 100], [25, 4], [100, 0]],
      want: [{ start: 0, end: 10, value: 1 }, { start: 25, end: 40, value: 6 }],
      late: 1,
    },
  ];
  for (const c of table) {
    const { out, lines } = run(
      (logger) => new SessionWindow("ss", sum(), 10, c.grace, { logger }),
      "final",
      c.input,
    );
    assertEquals(out, c.want, c.name);
    assertEquals(lines.length, c.late, `${c.name}\n${lines.join("\n")}`);
  }
  const cur = run((logger) => new SessionWindow("ss", sum(), 10, 10, { logger }), "current", [
    [0, 1],
    [15, 2],
    [8, 4],
  ]);
  assertEquals(cur.out, [
    { start: 0, end: 10, value: 1 },
    { start: 15, end: 25, value: 2 },
    { start: 0, end: 25, value: 7 },
  ]);
});

Deno.test("session windows close on wall-clock idle", () => {
  const { logger } = captureLogger();
  let now = 0;
  const h = new Harness(
    new WindowStep(new SessionWindow("ss", sum(), 1000, 0, { logger }), "final", {
      closeAfterIdleMs: 10,
      now: () => now,
      logger,
    }),
  );
  h.push([[0, 1], [500, 2]]);
  now = 5;
  assertEquals(h.idle(9), []);
  assertEquals(h.idle(10).map((r) => r.value), [{ start: 0, end: 1500, value: 3 }]);
});

Deno.test("count windows: tumbling and hopping, start/end = min/max timestamp", () => {
  const input: In[] = [[5, 1], [3, 2], [9, 3], [10, 4], [11, 5], [12, 6], [13, 7]];
  const tumbling = run(
    (logger) => new CountWindow("cw", sum(), 3, undefined, { logger }),
    "final",
    input,
  );
  assertEquals(tumbling.out, [{ start: 3, end: 9, value: 6 }, { start: 10, end: 12, value: 15 }]);
  const hopping = run((logger) => new CountWindow("cw", sum(), 3, 2, { logger }), "final", input);
  assertEquals(hopping.out, [
    { start: 3, end: 9, value: 6 },
    { start: 9, end: 11, value: 12 },
    { start: 11, end: 13, value: 18 },
  ]);
  const current = run(
    (logger) => new CountWindow("cw", sum(), 2, 1, { logger }),
    "current",
    input.slice(0, 3),
  );
  assertEquals(current.out, [
    { start: 5, end: 5, value: 1 },
    { start: 3, end: 5, value: 3 },
    { start: 3, end: 3, value: 2 },
    { start: 3, end: 9, value: 5 },
    { start: 9, end: 9, value: 3 },
  ]);
});
