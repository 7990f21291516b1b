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

/** Options every window accepts. */
export interface WindowConfig {
  /** Prefix of the store name; needed to define two windows of one kind on one stream. */
  name?: string;
  /** Called for each late record; return `false` to suppress the warning. */
  onLate?: OnLate;
}

/** Options of {@link Window.final}. */
export interface FinalOptions {
  /** Also close a key's windows after this much wall-clock time without records for it. */
  closeAfterIdle?: Duration;
}

/** A single-aggregation result: `{ start, end, value }`. */
export interface ValueWindow<V> {
  /** Window start, ms since the epoch (inclusive). */
  start: number;
  /** Window end, ms since the epoch (exclusive; inclusive for sliding windows). */
  end: number;
  /** The aggregated value. */
  value: V;
}

/** The result type of one aggregation. */
export type AggResultOf<A> = A extends Aggregator<infer _S, infer R> ? R
  : A extends Collector<infer R> ? R
  : never;

/** A multi-aggregation result: one column per aggregation, plus `start` and `end`. */
export type AggWindow<A extends Record<string, WindowAggregation>> =
  & { [K in keyof A]: AggResultOf<A[K]> }
  & { start: number; end: number };

type Make = (name: string, spec: AggSpec, options: WindowOptions) => WindowProcessor;

/** A window with its aggregation chosen: call `current()` or `final()`. */
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

/** A window definition waiting for its aggregation. */
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
