/**
 * Window aggregations with Quix Streams' semantics (`windows/aggregations.py`): aggregators
 * reduce each record into a small JSON state as it arrives; collectors keep the raw items and
 * only work with `.final()`.
 *
 * @module
 */

/** Reduces the records of a window into a JSON-serializable state, then a result. */
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

/** Keeps every record (or one column of it) of a window; the result is computed at close. */
export interface Collector<R = unknown> {
  /** Discriminates collectors from aggregators. */
  readonly kind: "collector";
  /** The column to collect, or undefined for the whole value. */
  readonly column?: string;
  /** The output for the collected items (timestamp order). */
  result(items: unknown[]): R;
}

/** Either kind of window aggregation. */
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

/** Sum of the values (or of a column), skipping null/undefined. */
export function Sum(column?: string): Aggregator<number, number> {
  return simple("Sum", column, () => 0, (old, v) => old + (v as number));
}

/** Mean of the values (or of a column); null when the window saw no value. */
export function Mean(column?: string): Aggregator<[number, number], number | null> {
  return simple<[number, number], number | null>(
    "Mean",
    column,
    () => [0, 0],
    (old, v) => [old[0] + (v as number), old[1] + 1],
    (s) => (s[1] === 0 ? null : s[0] / s[1]),
  );
}

/** Largest value (or column value). */
export function Max(column?: string): Aggregator<unknown, unknown> {
  return simple<unknown>(
    "Max",
    column,
    () => null,
    (old, v) => isNone(old) || (v as number) > (old as number) ? v : old,
  );
}

/** Smallest value (or column value). */
export function Min(column?: string): Aggregator<unknown, unknown> {
  return simple<unknown>(
    "Min",
    column,
    () => null,
    (old, v) => isNone(old) || (v as number) < (old as number) ? v : old,
  );
}

/** The value with the smallest timestamp (the first one on ties). */
export function Earliest(column?: string): Aggregator<[unknown, number] | null, unknown> {
  return simple<[unknown, number] | null, unknown>(
    "Earliest",
    column,
    () => null,
    (old, v, ts) => (old === null || ts < old[1] ? [v, ts] : old),
    (s) => (s === null ? null : s[0]),
  );
}

/** The value with the largest timestamp (the last one on ties). */
export function Latest(column?: string): Aggregator<[unknown, number] | null, unknown> {
  return simple<[unknown, number] | null, unknown>(
    "Latest",
    column,
    () => null,
    (old, v, ts) => (old === null || ts >= old[1] ? [v, ts] : old),
    (s) => (s === null ? null : s[0]),
  );
}

/** The first value in processing order. */
export function First(column?: string): Aggregator<unknown, unknown> {
  return {
    kind: "aggregator",
    stateSuffix: suffix("First", column),
    initialize: () => null,
    agg: (old, value) => (isNone(old) ? pick(value, column) ?? null : old),
    result: (s) => s,
  };
}

/** The last non-null value in processing order. */
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

/** Collects the values (or one column) of a window into a list, in timestamp order. */
export function Collect(column?: string): Collector<unknown[]> {
  return { kind: "collector", column, result: (items) => items };
}
