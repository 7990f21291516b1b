// Edge cases of sliding windows, expectations computed by hand with Quix Streams' algorithm
// (`quixstreams/dataframe/windows/sliding.py`): latest = max(t, stored latest), windows starting
// at or before latest - grace - 1 - duration are closed, records at or before that are late.
import { deepStrictEqual as assertEquals } from "node:assert";
import { AggSpec } from "../../../lib/stream/windows/_spec.ts";
import { Collect, Sum } from "../../../lib/stream/windows/aggregations.ts";
import { SlidingWindow } from "../../../lib/stream/windows/sliding_window.ts";
import { type WindowMode, WindowStep } from "../../../lib/stream/windows/step.ts";
import { captureLogger, Harness, type In } from "./_harness.ts";

function run(spec: AggSpec, d: number, grace: number, mode: WindowMode, input: In[]) {
  const { logger, lines } = captureLogger();
  const late: [number, number, number, number][] = [];
  const p = new SlidingWindow("sw", spec, d, grace, {
    logger,
    onLate: (l) => void late.push([l.timestampMs, l.start, l.end, l.lateByMs]),
  });
  const h = new Harness(new WindowStep(p, mode, { logger }));
  return { out: h.values(input), late, lines };
}

const w = (start: number, end: number, value: unknown) => ({ start, end, value });

Deno.test("sliding: a record within lateness whose own window [t - d, t] is past the watermark", () => {
  const table: {
    name: string;
    input: In[];
    current: unknown[];
    final: unknown[];
    /** onLate calls: [timestamp, window start, window end, lateBy]. */
    late: [number, number, number, number][];
  }[] = [
    {
      // At 30 (again): latest 36, closed starts <= 25. The window (20, 30) exists: it is
      // reported through onLate; the open window (26, 36) is updated.
      name: "a window ending exactly at t exists: onLate for it",
      input: [[30, 1], [36, 2], [30, 4], [50, 0]],
      current: [w(20, 30, 1), w(26, 36, 3), w(26, 36, 7), w(40, 50, 0)],
      final: [w(20, 30, 1), w(26, 36, 7)],
      late: [[30, 20, 30, 6]],
    },
    {
      // At 33: the earlier window (20, 30) is found first, so the left window (23, 33) is
      // created from its aggregation although its start 23 <= 25; final() closes it at once.
      name: "an earlier window exists: the own window is created and emitted",
      input: [[30, 1], [36, 2], [33, 4], [50, 0]],
      current: [w(20, 30, 1), w(26, 36, 3), w(23, 33, 5), w(26, 36, 7), w(40, 50, 0)],
      final: [w(20, 30, 1), w(23, 33, 5), w(26, 36, 7)],
      late: [],
    },
    {
      // At 25: latest 30, closed starts <= 19. Only (20, 30) is found (it ends after 25):
      // it is updated, and the own window (15, 25) is neither created nor reported.
      name: "no window ends at or before t: the own window is silently skipped",
      input: [[30, 1], [25, 2], [45, 0]],
      current: [w(20, 30, 1), w(20, 30, 3), w(35, 45, 0)],
      final: [w(20, 30, 3)],
      late: [],
    },
    {
      // At 19: 19 <= 30 - 0 - 1 - 10, the record is late for its own window only.
      name: "a record at latest - grace - 1 - duration is late and counts nowhere",
      input: [[30, 1], [19, 2], [20, 4], [45, 0]],
      current: [w(20, 30, 1), w(20, 30, 5), w(35, 45, 0)],
      final: [w(20, 30, 5)],
      late: [[19, 9, 19, 11]],
    },
  ];
  for (const c of table) {
    for (const mode of ["current", "final"] as const) {
      const r = run(new AggSpec({ value: Sum() }, true), 10, 0, mode, c.input);
      assertEquals(r.out, c[mode], `${c.name} (${mode})`);
      assertEquals(r.late, c.late, `${c.name} (${mode}): onLate`);
    }
  }
});

Deno.test("sliding collect: a window created past the watermark gathers records by timestamp", () => {
  const { out, late } = run(new AggSpec({ value: Collect() }, true), 10, 0, "final", [
    [30, "a"],
    [36, "b"],
    [33, "c"],
    [50, "z"],
  ]);
  assertEquals(out, [w(20, 30, ["a"]), w(23, 33, ["a", "c"]), w(26, 36, ["a", "c", "b"])]);
  assertEquals(late, []);
});

Deno.test("sliding closeAfterIdle: closes every left window; records for them are late", () => {
  const { logger } = captureLogger();
  const late: [number, number, number][] = [];
  const p = new SlidingWindow("sw", new AggSpec({ value: Sum() }, true), 10, 0, {
    logger,
    onLate: (l) => void late.push([l.timestampMs, l.start, l.end]),
  });
  let now = 0;
  const h = new Harness(
    new WindowStep(p, "final", { closeAfterIdleMs: 100, now: () => now, logger }),
  );
  assertEquals(h.values([[30, 1], [36, 2]]), [w(20, 30, 1)]);
  now = 100;
  assertEquals(h.idle(100).map((r) => r.value), [w(26, 36, 3)]);
  assertEquals(h.idle(1000), [], "nothing left to close");
  // 36 falls into the closed (26, 36); 40 is after the idle point and opens (30, 40).
  assertEquals(h.values([[36, 4], [40, 8], [60, 0]]), [w(30, 40, 11)]);
  assertEquals(late, [[36, 26, 36]]);
});
