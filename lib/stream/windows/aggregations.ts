/**
 * Window aggregations with Quix Streams' semantics (`windows/aggregations.py`): aggregators
 * reduce each record into a small JSON state as it arrives; collectors keep the raw items and
 * only work with `.final()`.
 *
 * @module
 */

/**
 * Reduces the records of a window into a JSON-serializable state, then a result. Write one to
 * add an aggregation the built-ins lack; the state is stored (and sent to the changelog) as
 * JSON after every record.
 *
 * @example A custom aggregator: the spread (max - min) of a column
 * ```ts
 * import { type Aggregator, TestApp } from "@sa/toolkit";
 *
 * const spread: Aggregator<[number, number] | null, number | null> = {
 *   kind: "aggregator",
 *   stateSuffix: "Spread/temp",
 *   initialize: () => null,
 *   agg: (old, value) => {
 *     const t = (value as { temp: number }).temp;
 *     return old === null ? [t, t] : [Math.min(old[0], t), Math.max(old[1], t)];
 *   },
 *   result: (s) => (s === null ? null : s[1] - s[0]),
 * };
 *
 * const app = new TestApp();
 * const input = app.topic<{ temp: number }>("temperatures");
 * const rows = app.collect(app.dataframe(input).tumblingWindow("1m").agg({ spread }).final());
 * app.push(input, { temp: 21 }, { key: "room-1", timestamp: 1_000 });
 * app.push(input, { temp: 24 }, { key: "room-1", timestamp: 30_000 });
 * app.push(input, { temp: 22 }, { key: "room-1", timestamp: 61_000 }); // closes [0, 60s)
 * console.log(rows[0].value); // { spread: 3, start: 0, end: 60000 }
 * ```
 */
export interface Aggregator<S = unknown, R = unknown> {
  /** Discriminates aggregators from collectors. */
  readonly kind: "aggregator";
  /** Part of the state key: changing it (e.g. another column) restarts this aggregation. */
  readonly stateSuffix: string;
  /** The state of an empty window. */
  initialize(): S;
  /** Folds one record (with its timestamp) into the state. */
  agg(old: S, value: unknown, timestampMs: number): S;
  /** The output for a state. */
  result(state: S): R;
}

/**
 * Keeps every record (or one column of it) of a window; the result is computed at close, so
 * collectors only work with `.final()`. Write one when the result needs all items at once.
 *
 * @example A custom collector: the median of a column
 * ```ts
 * import { type Collector, TestApp } from "@sa/toolkit";
 *
 * const median: Collector<number | null> = {
 *   kind: "collector",
 *   column: "latencyMs",
 *   result: (items) => {
 *     const sorted = (items as number[]).toSorted((a, b) => a - b);
 *     return sorted.length === 0 ? null : sorted[Math.floor(sorted.length / 2)];
 *   },
 * };
 *
 * const app = new TestApp();
 * const input = app.topic<{ latencyMs: number }>("requests");
 * const rows = app.collect(app.dataframe(input).tumblingWindow("10s").agg({ median }).final());
 * for (const [latencyMs, ts] of [[12, 1_000], [250, 2_000], [15, 3_000], [0, 11_000]]) {
 *   app.push(input, { latencyMs }, { key: "api", timestamp: ts });
 * }
 * console.log(rows[0].value); // { median: 15, start: 0, end: 10000 }
 * ```
 */
export interface Collector<R = unknown> {
  /** Discriminates collectors from aggregators. */
  readonly kind: "collector";
  /** The column to collect, or undefined for the whole value. */
  readonly column?: string;
  /** The output for the collected items (timestamp order). */
  result(items: unknown[]): R;
}

/**
 * Either kind of window aggregation: what `WindowDefinition.agg` takes, by output column.
 *
 * @example Reusing one set of aggregations on two windows
 * ```ts
 * import { Count, Max, Mean, TestApp, type WindowAggregation } from "@sa/toolkit";
 *
 * const stats = {
 *   mean: Mean("g"),
 *   max: Max("g"),
 *   n: Count(),
 * } satisfies Record<string, WindowAggregation>;
 *
 * const app = new TestApp();
 * const sdf = app.dataframe(app.topic<{ g: number }>("g-force"));
 * const perSecond = sdf.tumblingWindow("1s").agg(stats).final();
 * const perMinute = sdf.tumblingWindow("1m").agg(stats).final();
 * ```
 */
export type WindowAggregation = Aggregator | Collector;

function pick(value: unknown, column: string | undefined): unknown {
  if (column === undefined) return value;
  if (value === null || typeof value !== "object") {
    throw new TypeError(
      `window aggregation on column "${column}": the value is ${
        value === null ? "null" : typeof value
      }, not an object`,
    );
  }
  return (value as Record<string, unknown>)[column];
}

const isNone = (v: unknown): boolean => v === undefined || v === null;

function suffix(name: string, column?: string): string {
  return column === undefined ? name : `${name}/${column}`;
}

function simple<S, R = S>(
  name: string,
  column: string | undefined,
  initialize: () => S,
  agg: (old: S, v: unknown, ts: number) => S,
  result: (s: S) => R = (s) => s as unknown as R,
): Aggregator<S, R> {
  return {
    kind: "aggregator",
    stateSuffix: suffix(name, column),
    initialize,
    agg: (old, value, ts) => {
      const v = pick(value, column);
      return isNone(v) ? old : agg(old, v, ts);
    },
    result,
  };
}

/**
 * Number of records (with a column: records where it is not null/undefined).
 *
 * @example
 * ```ts
 * import { Count } from "./aggregations.ts";
 * const c = Count();
 * console.log(c.result(c.agg(c.initialize(), { x: 1 }, 0))); // 1
 * ```
 */
export function Count(column?: string): Aggregator<number, number> {
  return simple("Count", column, () => 0, (old) => old + 1);
}

/**
 * Sum of the values (or of a column), skipping null/undefined.
 *
 * @example Energy used per meter and hour
 * ```ts
 * import { Sum, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ kwh: number | null }>("meter-readings");
 * const hours = app.collect(
 *   app.dataframe(input).tumblingWindow("1h").agg({ kwh: Sum("kwh") }).final(),
 * );
 * app.push(input, { kwh: 0.4 }, { key: "meter-7", timestamp: 600_000 });
 * app.push(input, { kwh: null }, { key: "meter-7", timestamp: 1_200_000 }); // skipped
 * app.push(input, { kwh: 0.6 }, { key: "meter-7", timestamp: 1_800_000 });
 * app.push(input, { kwh: 0.5 }, { key: "meter-7", timestamp: 3_700_000 }); // closes [0, 1h)
 * console.log(hours[0].value); // { kwh: 1, start: 0, end: 3600000 }
 * ```
 */
export function Sum(column?: string): Aggregator<number, number> {
  return simple("Sum", column, () => 0, (old, v) => old + (v as number));
}

/**
 * Mean of the values (or of a column); null when the window saw no value.
 *
 * @example Mean g-force over 10 s windows, updated on every record
 * ```ts
 * import { Mean, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ g: number }>("g-force");
 * const rows = app.collect(
 *   app.dataframe(input).tumblingWindow("10s").agg({ g: Mean("g") }).current(),
 * );
 * app.push(input, { g: 1 }, { key: "phone", timestamp: 1_000 });
 * app.push(input, { g: 2 }, { key: "phone", timestamp: 2_000 });
 * console.log(rows.map((r) => r.value.g)); // [1, 1.5]
 * ```
 */
export function Mean(column?: string): Aggregator<[number, number], number | null> {
  return simple<[number, number], number | null>(
    "Mean",
    column,
    () => [0, 0],
    (old, v) => [old[0] + (v as number), old[1] + 1],
    (s) => (s[1] === 0 ? null : s[0] / s[1]),
  );
}

/**
 * Largest value (or column value); null/undefined values are skipped.
 *
 * @example Peak speed per vehicle and minute
 * ```ts
 * import { Max, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ speed: number }>("gps");
 * const rows = app.collect(
 *   app.dataframe(input).tumblingWindow("1m").agg({ peak: Max("speed") }).final(),
 * );
 * app.push(input, { speed: 48 }, { key: "bus-12", timestamp: 5_000 });
 * app.push(input, { speed: 63 }, { key: "bus-12", timestamp: 20_000 });
 * app.push(input, { speed: 30 }, { key: "bus-12", timestamp: 65_000 }); // closes [0, 1m)
 * console.log(rows[0].value); // { peak: 63, start: 0, end: 60000 }
 * ```
 */
export function Max(column?: string): Aggregator<unknown, unknown> {
  return simple<unknown>(
    "Max",
    column,
    () => null,
    (old, v) => isNone(old) || (v as number) > (old as number) ? v : old,
  );
}

/**
 * Smallest value (or column value); null/undefined values are skipped.
 *
 * @example Lowest battery level per device over the last 5 minutes (sliding)
 * ```ts
 * import { Min, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ battery: number }>("telemetry");
 * const rows = app.collect(
 *   app.dataframe(input).slidingWindow("5m").agg({ low: Min("battery") }).current(),
 * );
 * app.push(input, { battery: 80 }, { key: "sensor-3", timestamp: 0 });
 * app.push(input, { battery: 78 }, { key: "sensor-3", timestamp: 60_000 });
 * console.log(rows.at(-1)?.value); // { low: 78, start: 0, end: 60000 }
 * ```
 */
export function Min(column?: string): Aggregator<unknown, unknown> {
  return simple<unknown>(
    "Min",
    column,
    () => null,
    (old, v) => isNone(old) || (v as number) < (old as number) ? v : old,
  );
}

/**
 * The value with the smallest timestamp (the first one on ties), whatever the arrival order.
 *
 * @example Opening price per minute, with out-of-order trades
 * ```ts
 * import { Earliest, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ price: number }>("trades");
 * const rows = app.collect(
 *   app.dataframe(input).tumblingWindow("1m").agg({ open: Earliest("price") }).final(),
 * );
 * app.push(input, { price: 101 }, { key: "ACME", timestamp: 30_000 });
 * app.push(input, { price: 100 }, { key: "ACME", timestamp: 10_000 }); // earlier, arrives later
 * app.push(input, { price: 102 }, { key: "ACME", timestamp: 70_000 }); // closes [0, 1m)
 * console.log(rows[0].value); // { open: 100, start: 0, end: 60000 }
 * ```
 */
export function Earliest(column?: string): Aggregator<[unknown, number] | null, unknown> {
  return simple<[unknown, number] | null, unknown>(
    "Earliest",
    column,
    () => null,
    (old, v, ts) => (old === null || ts < old[1] ? [v, ts] : old),
    (s) => (s === null ? null : s[0]),
  );
}

/**
 * The value with the largest timestamp (the last one on ties), whatever the arrival order.
 *
 * @example Closing price per minute, with out-of-order trades
 * ```ts
 * import { Latest, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ price: number }>("trades");
 * const rows = app.collect(
 *   app.dataframe(input).tumblingWindow("1m").agg({ close: Latest("price") }).final(),
 * );
 * app.push(input, { price: 101 }, { key: "ACME", timestamp: 50_000 });
 * app.push(input, { price: 99 }, { key: "ACME", timestamp: 20_000 }); // older, arrives later
 * app.push(input, { price: 102 }, { key: "ACME", timestamp: 70_000 }); // closes [0, 1m)
 * console.log(rows[0].value); // { close: 101, start: 0, end: 60000 }
 * ```
 */
export function Latest(column?: string): Aggregator<[unknown, number] | null, unknown> {
  return simple<[unknown, number] | null, unknown>(
    "Latest",
    column,
    () => null,
    (old, v, ts) => (old === null || ts >= old[1] ? [v, ts] : old),
    (s) => (s === null ? null : s[0]),
  );
}

/**
 * The first non-null value in processing (arrival) order; see {@link Earliest} for event-time
 * order.
 *
 * @example The first page of each 30 s session
 * ```ts
 * import { Count, First, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ page: string }>("clicks");
 * const sessions = app.collect(
 *   app.dataframe(input).sessionWindow("30s").agg({ landing: First("page"), n: Count() })
 *     .final(),
 * );
 * app.push(input, { page: "/home" }, { key: "user-1", timestamp: 0 });
 * app.push(input, { page: "/pricing" }, { key: "user-1", timestamp: 10_000 });
 * app.push(input, { page: "/blog" }, { key: "user-1", timestamp: 100_000 }); // new session
 * console.log(sessions[0].value); // { landing: "/home", n: 2, start: 0, end: 40000 }
 * ```
 */
export function First(column?: string): Aggregator<unknown, unknown> {
  return {
    kind: "aggregator",
    stateSuffix: suffix("First", column),
    initialize: () => null,
    agg: (old, value) => (isNone(old) ? pick(value, column) ?? null : old),
    result: (s) => s,
  };
}

/**
 * The last non-null value in processing (arrival) order; see {@link Latest} for event-time
 * order.
 *
 * @example Last known position of each vehicle every 10 s
 * ```ts
 * import { Last, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ lat: number | null }>("gps");
 * const rows = app.collect(
 *   app.dataframe(input).tumblingWindow("10s").agg({ lat: Last("lat") }).final(),
 * );
 * app.push(input, { lat: 52.52 }, { key: "bus-12", timestamp: 1_000 });
 * app.push(input, { lat: null }, { key: "bus-12", timestamp: 2_000 }); // no fix: skipped
 * app.push(input, { lat: 52.53 }, { key: "bus-12", timestamp: 12_000 }); // closes [0, 10s)
 * console.log(rows[0].value); // { lat: 52.52, start: 0, end: 10000 }
 * ```
 */
export function Last(column?: string): Aggregator<unknown, unknown> {
  return simple<unknown>("Last", column, () => null, (_old, v) => v);
}

/**
 * A custom reduction: `initializer(first)` starts the state, `reducer(acc, next)` folds the
 * rest. The state must survive JSON (it is stored and sent to the changelog).
 *
 * @example
 * ```ts
 * import { Reduce } from "./aggregations.ts";
 * const r = Reduce((acc: number[], v: number) => [...acc, v], (v: number) => [v]);
 * ```
 */
export function Reduce<R, V = unknown>(
  reducer: (accumulated: R, value: V) => R,
  initializer: (value: V) => R,
): Aggregator<R | null, R> {
  return {
    kind: "aggregator",
    stateSuffix: "Reduce",
    initialize: () => null,
    agg: (old, value) => (old === null ? initializer(value as V) : reducer(old, value as V)),
    result: (s) => s as R,
  };
}

/**
 * Collects the values (or one column) of a window into a list, in timestamp order. A
 * collector: use it with `.final()`.
 *
 * @example Every reading of a 10 s window, sorted by event time
 * ```ts
 * import { Collect, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ temp: number }>("temperatures");
 * const rows = app.collect(
 *   app.dataframe(input).tumblingWindow("10s").agg({ temps: Collect("temp") }).final(),
 * );
 * app.push(input, { temp: 21 }, { key: "room-1", timestamp: 3_000 });
 * app.push(input, { temp: 20 }, { key: "room-1", timestamp: 1_000 });
 * app.push(input, { temp: 22 }, { key: "room-1", timestamp: 11_000 }); // closes [0, 10s)
 * console.log(rows[0].value); // { temps: [20, 21], start: 0, end: 10000 }
 * ```
 */
export function Collect(column?: string): Collector<unknown[]> {
  return { kind: "collector", column, result: (items) => items };
}
