/**
 * How a window aggregates: one legacy single aggregation (`.sum()` … → column `value`) or
 * several named ones (`.agg({...})`), following Quix's Single/MultiAggregationWindowMixin.
 *
 * @module
 */

import type { Aggregator, Collector, WindowAggregation } from "./aggregations.ts";

/** A closed or updated window: `start`, `end` and one column per aggregation. */
export type WindowResult = Record<string, unknown> & { start: number; end: number };

/** Aggregation state of one window as stored (JSON): states by `column/suffix`, collected items. */
export interface WindowState {
  a: Record<string, unknown>;
  /** Collected items as `[timestampMs, item]`, in arrival order. */
  c?: [number, unknown][];
}

/** The aggregations of one window definition. */
export class AggSpec {
  readonly aggregators: [string, string, Aggregator][] = [];
  readonly collectors: [string, Collector][] = [];
  readonly #single: boolean;
  readonly #collectAll: boolean;

  constructor(aggs: Record<string, WindowAggregation>, single: boolean) {
    const names = Object.keys(aggs);
    if (names.length === 0) throw new Error("window: at least one aggregation is required");
    for (const name of names) {
      if (!single && (name === "start" || name === "end")) {
        throw new Error(`window agg(): column name "${name}" is reserved`);
      }
      const a = aggs[name];
      if (a.kind === "aggregator") this.aggregators.push([name, `${name}/${a.stateSuffix}`, a]);
      else this.collectors.push([name, a]);
    }
    this.#single = single;
    this.#collectAll = this.collectors.some(([, c]) => c.column === undefined);
  }

  /** True when some aggregation is a reducer (`.current()` needs one). */
  get aggregate(): boolean {
    return this.aggregators.length > 0;
  }

  /** True when some aggregation collects items (only `.final()`). */
  get collect(): boolean {
    return this.collectors.length > 0;
  }

  initialize(): WindowState {
    const a: Record<string, unknown> = {};
    for (const [, key, agg] of this.aggregators) a[key] = agg.initialize();
    return this.collect ? { a, c: [] } : { a };
  }

  /** Folds one record into `state` (mutates and returns it). */
  add(state: WindowState, value: unknown, timestampMs: number): WindowState {
    for (const [, key, agg] of this.aggregators) {
      const old = key in state.a ? state.a[key] : agg.initialize();
      state.a[key] = agg.agg(old, value, timestampMs);
    }
    if (this.collect) (state.c ??= []).push([timestampMs, this.#collectValue(value)]);
    return state;
  }

  #collectValue(value: unknown): unknown {
    if (this.#single || this.#collectAll) return value;
    const out: Record<string, unknown> = {};
    for (const [, c] of this.collectors) {
      out[c.column!] = (value as Record<string, unknown>)[c.column!];
    }
    return out;
  }

  /** The output row for a window. Collected items are ordered by timestamp, then arrival. */
  results(state: WindowState, start: number, end: number): WindowResult {
    const items = state.c
      ? state.c.map((e, i) => [e[0], i, e[1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1])
        .map((e) => e[2])
      : [];
    if (this.#single) {
      const out: WindowResult = { start, end };
      if (this.aggregators.length) {
        const [, key, agg] = this.aggregators[0];
        out.value = agg.result(key in state.a ? state.a[key] : agg.initialize());
      } else {
        out.value = this.collectors[0][1].result(items);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const [name, key, agg] of this.aggregators) {
      out[name] = agg.result(key in state.a ? state.a[key] : agg.initialize());
    }
    for (const [name, c] of this.collectors) {
      out[name] = c.result(
        c.column === undefined
          ? items
          : items.map((it) => (it as Record<string, unknown>)[c.column!]),
      );
    }
    out.start = start;
    out.end = end;
    return out as WindowResult;
  }
}
