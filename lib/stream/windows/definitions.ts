/**
 * The public window API on dataframes, as Quix Streams': pick a window
 * (`sdf.tumblingWindow("10s")`), an aggregation (`.sum()`, `.reduce(...)`, `.agg({...})`),
 * then `.current()` (a row per update) or `.final()` (a row per closed window).
 *
 * @module
 */

import type { StreamingDataFrame } from "../dataframe/dataframe.ts";
import { AggSpec, type WindowResult } from "./_spec.ts";
import {
  type Aggregator,
  Collect,
  type Collector,
  Count,
  Max,
  Mean,
  Min,
  Reduce,
  Sum,
  type WindowAggregation,
} from "./aggregations.ts";
import { CountWindow } from "./count_window.ts";
import { type Duration, toMillis, toPositiveMillis } from "./duration.ts";
import { SessionWindow } from "./session_window.ts";
import { SlidingWindow } from "./sliding_window.ts";
import { WindowStep } from "./step.ts";
import { TimeWindow } from "./time_window.ts";
import type { OnLate, WindowOptions, WindowProcessor } from "./window.ts";

/**
 * Options every window accepts (the last argument of `sdf.tumblingWindow(...)` and friends).
 *
 * @example Two tumbling windows of one size on one stream, told apart by name
 * ```ts
 * import { Count, Last, Max, TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const sdf = app.dataframe(app.topic<{ g: number; lat: number }>("gps"));
 * const peaks = sdf.tumblingWindow("10s", 0, { name: "peaks" })
 *   .agg({ gMax: Max("g"), n: Count() }).final();
 * const positions = sdf.tumblingWindow("10s", 0, {
 *   name: "positions",
 *   onLate: (late) => late.lateByMs > 60_000, // only warn about records over a minute late
 * }).agg({ lat: Last("lat") }).final();
 * ```
 */
export interface WindowConfig {
  /** Prefix of the store name; needed to define two windows of one kind on one stream. */
  name?: string;
  /** Called for each late record; return `false` to suppress the warning. */
  onLate?: OnLate;
}

/**
 * Options of {@link Window.final}.
 *
 * @example Close a device's window after 30 s without records, not only on event time
 * ```ts
 * import { TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const sdf = app.dataframe(app.topic<number>("heartbeats"));
 * sdf.tumblingWindow("1m").count().final({ closeAfterIdle: "30s" }).print();
 * ```
 */
export interface FinalOptions {
  /** Also close a key's windows after this much wall-clock time without records for it. */
  closeAfterIdle?: Duration;
}

/**
 * A single-aggregation result (`.sum()`, `.mean()`, `.collect()`, ...): `{ start, end, value }`.
 *
 * @example Averages per 10 s, turned into a report row
 * ```ts
 * import { TestApp, type ValueWindow } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<number>("temperatures");
 * const report = app.dataframe(input).tumblingWindow("10s").mean().final()
 *   .apply((w: ValueWindow<number | null>) => ({
 *     from: new Date(w.start).toISOString(),
 *     mean: w.value,
 *   }));
 * const rows = app.collect(report);
 * app.push(input, 20, { key: "room-1", timestamp: 1_000 });
 * app.push(input, 22, { key: "room-1", timestamp: 4_000 });
 * app.push(input, 25, { key: "room-1", timestamp: 10_000 }); // closes [0, 10s)
 * console.log(rows[0].value); // { from: "1970-01-01T00:00:00.000Z", mean: 21 }
 * ```
 */
export interface ValueWindow<V> {
  /** Window start, ms since the epoch (inclusive). */
  start: number;
  /** Window end, ms since the epoch (exclusive; inclusive for sliding windows). */
  end: number;
  /** The aggregated value. */
  value: V;
}

/**
 * The result type of one aggregation.
 *
 * @example
 * ```ts
 * import { type AggResultOf, Collect, Mean, Sum } from "@sa/toolkit";
 *
 * const mean = Mean("g");
 * const gMean: AggResultOf<typeof mean> = null; // number | null: null for an empty window
 * const total: AggResultOf<ReturnType<typeof Sum>> = 42; // number
 * const items: AggResultOf<ReturnType<typeof Collect>> = [1, 2]; // unknown[]
 * ```
 */
export type AggResultOf<A> = A extends Aggregator<infer _S, infer R> ? R
  : A extends Collector<infer R> ? R
  : never;

/**
 * A multi-aggregation result (`.agg({...})`): one column per aggregation, plus `start` and
 * `end`.
 *
 * @example Typing a function that formats the rows of an `agg` window
 * ```ts
 * import { type AggWindow, Count, Max, TestApp } from "@sa/toolkit";
 *
 * const aggs = { peak: Max("g"), n: Count() };
 * const describe = (w: AggWindow<typeof aggs>) =>
 *   `${new Date(w.start).toISOString()}: ${w.n} readings, peak ${w.peak}`;
 *
 * const app = new TestApp();
 * const input = app.topic<{ g: number }>("g-force");
 * const lines = app.collect(
 *   app.dataframe(input).tumblingWindow("10s").agg(aggs).final().apply(describe),
 * );
 * app.push(input, { g: 1.2 }, { key: "phone", timestamp: 1_000 });
 * app.push(input, { g: 3.4 }, { key: "phone", timestamp: 2_000 });
 * app.push(input, { g: 1.0 }, { key: "phone", timestamp: 10_000 }); // closes [0, 10s)
 * console.log(lines[0].value); // "1970-01-01T00:00:00.000Z: 2 readings, peak 3.4"
 * ```
 */
export type AggWindow<A extends Record<string, WindowAggregation>> =
  & { [K in keyof A]: AggResultOf<A[K]> }
  & { start: number; end: number };

type Make = (name: string, spec: AggSpec, options: WindowOptions) => WindowProcessor;

/**
 * A window with its aggregation chosen: call `current()` (a row per update) or `final()` (a
 * row per closed window).
 *
 * @example Request counts over the last 5 s, updated on every request
 * ```ts
 * import { TestApp, type ValueWindow, type Window } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ path: string }>("requests");
 * const window: Window<ValueWindow<number>> = app.dataframe(input).slidingWindow("5s").count();
 * console.log(window.storeName); // "sliding_window_5000_count"
 * const rows = app.collect(window.current());
 * app.push(input, { path: "/" }, { key: "client-1", timestamp: 1_000 });
 * app.push(input, { path: "/login" }, { key: "client-1", timestamp: 3_000 });
 * console.log(rows.map((r) => r.value.value)); // [1, 2]
 * ```
 */
export class Window<R> {
  readonly #sdf: StreamingDataFrame<unknown>;
  readonly #processor: WindowProcessor;

  /** Use the dataframe's window methods (`sdf.tumblingWindow(...).sum()`) instead. */
  constructor(sdf: StreamingDataFrame<unknown>, processor: unknown) {
    this.#sdf = sdf;
    this.#processor = processor as WindowProcessor;
  }

  /** The state store name of this window (`[<name>_]<kind>_<params>[_<aggregation>]`). */
  get storeName(): string {
    return this.#processor.name;
  }

  #attach(step: WindowStep): StreamingDataFrame<R> {
    return this.#sdf.transform<R>(step as never, { stores: [this.#processor.name] });
  }

  /** Emits the updated window(s) for every record (expired windows are still purged). */
  current(): StreamingDataFrame<R> {
    return this.#attach(new WindowStep(this.#processor, "current"));
  }

  /** Emits each window once, when it closes (event time, or wall-clock idle time). */
  final(options: FinalOptions = {}): StreamingDataFrame<R> {
    const idle = options.closeAfterIdle === undefined
      ? undefined
      : toPositiveMillis(options.closeAfterIdle, "closeAfterIdle");
    return this.#attach(new WindowStep(this.#processor, "final", { closeAfterIdleMs: idle }));
  }
}

/**
 * A window definition waiting for its aggregation: `sum`, `count`, `mean`, `min`, `max`,
 * `reduce`, `collect`, or several at once with `agg`.
 *
 * @example Hopping 10 s windows every 5 s, two aggregations of one definition
 * ```ts
 * import { TestApp, type WindowDefinition } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<number>("speeds");
 * const windows: WindowDefinition<number> = app.dataframe(input).hoppingWindow("10s", "5s");
 * const maxima = app.collect(windows.max().final());
 * const ranges = app.collect(
 *   windows.reduce<{ lo: number; hi: number }>(
 *     (acc, v) => ({ lo: Math.min(acc.lo, v), hi: Math.max(acc.hi, v) }),
 *     (v) => ({ lo: v, hi: v }),
 *   ).final(),
 * );
 * app.push(input, 40, { key: "car-1", timestamp: 6_000 });
 * app.push(input, 55, { key: "car-1", timestamp: 8_000 });
 * app.push(input, 50, { key: "car-1", timestamp: 12_000 }); // closes [0, 10s)
 * console.log(maxima[0].value); // { start: 0, end: 10000, value: 55 }
 * console.log(ranges[0].value); // { start: 0, end: 10000, value: { lo: 40, hi: 55 } }
 * ```
 */
export class WindowDefinition<T> {
  readonly #sdf: StreamingDataFrame<T>;
  readonly #baseName: string;
  readonly #make: Make;
  readonly #config: WindowConfig;

  /** Use the dataframe's window methods (`sdf.tumblingWindow("10s")`) instead. */
  constructor(
    sdf: StreamingDataFrame<T>,
    baseName: string,
    make: unknown,
    config: WindowConfig = {},
  ) {
    this.#sdf = sdf;
    this.#baseName = baseName;
    this.#make = make as Make;
    this.#config = config;
  }

  #window<R>(aggs: Record<string, WindowAggregation>, single: boolean, func?: string): Window<R> {
    const prefix = this.#config.name ? `${this.#config.name}_` : "";
    const name = `${prefix}${this.#baseName}${func ? `_${func}` : ""}`;
    const processor = this.#make(name, new AggSpec(aggs, single), { onLate: this.#config.onLate });
    return new Window<R>(this.#sdf as StreamingDataFrame<unknown>, processor);
  }

  /** Sum of the values. */
  sum(): Window<ValueWindow<number>> {
    return this.#window({ value: Sum() }, true, "sum");
  }
  /** Number of values. */
  count(): Window<ValueWindow<number>> {
    return this.#window({ value: Count() }, true, "count");
  }
  /** Mean of the values (null for an empty window). */
  mean(): Window<ValueWindow<number | null>> {
    return this.#window({ value: Mean() }, true, "mean");
  }
  /** Smallest value. */
  min(): Window<ValueWindow<T>> {
    return this.#window({ value: Min() }, true, "min");
  }
  /** Largest value. */
  max(): Window<ValueWindow<T>> {
    return this.#window({ value: Max() }, true, "max");
  }
  /** Custom fold: `initializer(first)`, then `reducer(acc, next)`; `acc` must survive JSON. */
  reduce<R>(
    reducer: (acc: R, value: T) => R,
    initializer: (value: T) => R,
  ): Window<ValueWindow<R>> {
    return this.#window({ value: Reduce(reducer, initializer) }, true, "reduce");
  }
  /** Every value of the window, in timestamp order (`.final()` only). */
  collect(): Window<ValueWindow<T[]>> {
    return this.#window({ value: Collect() }, true, "collect");
  }
  /** Several named aggregations, e.g. `agg({ total: Sum("x"), n: Count() })`. */
  agg<A extends Record<string, WindowAggregation>>(aggs: A): Window<AggWindow<A>> {
    return this.#window(aggs, false);
  }
}

const def = <T>(sdf: StreamingDataFrame<T>, base: string, make: Make, config?: WindowConfig) =>
  new WindowDefinition<T>(sdf, base, make, config);

const grace = (g: Duration | undefined) => (g === undefined ? 0 : toMillis(g, "grace"));

/** `sdf.tumblingWindow(duration, grace?, config?)`. */
export function tumblingWindow<T>(
  sdf: StreamingDataFrame<T>,
  duration: Duration,
  graceMs?: Duration,
  config?: WindowConfig,
): WindowDefinition<T> {
  const d = toPositiveMillis(duration, "tumblingWindow duration");
  const g = grace(graceMs);
  return def(
    sdf,
    `tumbling_window_${d}`,
    (name, spec, o) => new TimeWindow(name, spec, d, g, d, o),
    config,
  );
}

/** `sdf.hoppingWindow(duration, step, grace?, config?)`. */
export function hoppingWindow<T>(
  sdf: StreamingDataFrame<T>,
  duration: Duration,
  step: Duration,
  graceMs?: Duration,
  config?: WindowConfig,
): WindowDefinition<T> {
  const d = toPositiveMillis(duration, "hoppingWindow duration");
  const s = toPositiveMillis(step, "hoppingWindow step");
  const g = grace(graceMs);
  return def(
    sdf,
    `hopping_window_${d}_${s}`,
    (name, spec, o) => new TimeWindow(name, spec, d, g, s, o),
    config,
  );
}

/** `sdf.slidingWindow(duration, grace?, config?)`. */
export function slidingWindow<T>(
  sdf: StreamingDataFrame<T>,
  duration: Duration,
  graceMs?: Duration,
  config?: WindowConfig,
): WindowDefinition<T> {
  const d = toPositiveMillis(duration, "slidingWindow duration");
  const g = grace(graceMs);
  return def(
    sdf,
    `sliding_window_${d}`,
    (name, spec, o) => new SlidingWindow(name, spec, d, g, o),
    config,
  );
}

/** `sdf.sessionWindow(timeout, grace?, config?)`. */
export function sessionWindow<T>(
  sdf: StreamingDataFrame<T>,
  timeout: Duration,
  graceMs?: Duration,
  config?: WindowConfig,
): WindowDefinition<T> {
  const t = toPositiveMillis(timeout, "sessionWindow timeout");
  const g = grace(graceMs);
  return def(
    sdf,
    `session_window_${t}`,
    (name, spec, o) => new SessionWindow(name, spec, t, g, o),
    config,
  );
}

/** `sdf.tumblingCountWindow(count, config?)`. */
export function tumblingCountWindow<T>(
  sdf: StreamingDataFrame<T>,
  count: number,
  config?: WindowConfig,
): WindowDefinition<T> {
  return def(
    sdf,
    `tumbling_count_window_${count}`,
    (name, spec, o) => new CountWindow(name, spec, count, undefined, o),
    config,
  );
}

/** `sdf.hoppingCountWindow(count, step, config?)`. */
export function hoppingCountWindow<T>(
  sdf: StreamingDataFrame<T>,
  count: number,
  step: number,
  config?: WindowConfig,
): WindowDefinition<T> {
  return def(
    sdf,
    `hopping_count_window_${count}_${step}`,
    (name, spec, o) => new CountWindow(name, spec, count, step, o),
    config,
  );
}

export type { WindowResult };
