/**
 * `StreamingDataFrame<T>`: a lazy, typed, branchable pipeline over the messages of a topic,
 * in the spirit of Quix Streams' StreamingDataFrame.
 *
 * Operations that change the value's type (`apply`, `filter`, `project`, `assign`, ...)
 * return a new dataframe; in-place ones (`update`, `print`, `printTable`, `toTopic`) extend
 * this one and return it. Extending one dataframe twice creates branches that all run, in the
 * order they were added, each on its own copy of the value.
 *
 * @module
 */

import type { State } from "../state/types.ts";
import type { Topic } from "../topic.ts";
import type { MessageHeaders, Row, Sink, TransformStep } from "../types.ts";
import { ColumnError } from "../errors.ts";
import { type DataFrameRegistry, type Emit, Node, type Runtime, type Stream } from "./_pipeline.ts";
import { type PrintTableOptions, tablePrinter } from "./print_table.ts";
import { groupBy, type GroupByOptions } from "./group_by.ts";
import { toView } from "../views/to_view.ts";
import type { ViewOptions } from "../views/view.ts";
import type { Duration } from "../windows/duration.ts";
import {
  hoppingCountWindow,
  hoppingWindow,
  sessionWindow,
  slidingWindow,
  tumblingCountWindow,
  tumblingWindow,
  type WindowConfig,
  type WindowDefinition,
} from "../windows/definitions.ts";

/**
 * A callback receiving the value only.
 *
 * @example
 * ```ts
 * import type { Plain } from "@sa/toolkit";
 * const double: Plain<number, number> = (v) => v * 2;
 * ```
 */
export type Plain<T, R> = (value: T) => R;
/**
 * A callback receiving the value and the message metadata.
 *
 * @example
 * ```ts
 * import type { WithMeta } from "@sa/toolkit";
 * const describe: WithMeta<number, string> = (v, key, timestamp) => `${key}=${v} at ${timestamp}`;
 * ```
 */
export type WithMeta<T, R> = (
  value: T,
  key: unknown,
  timestamp: number,
  headers: MessageHeaders,
) => R;
/**
 * A callback receiving the value and the key-scoped state.
 *
 * @example
 * ```ts
 * import type { WithState } from "@sa/toolkit";
 * const runningSum: WithState<number, number> = (v, state) => {
 *   const total = state.get<number>("total", 0)! + v;
 *   state.set("total", total);
 *   return total;
 * };
 * ```
 */
export type WithState<T, R> = (value: T, state: State) => R;
/**
 * A callback receiving the value, the message metadata and the key-scoped state.
 *
 * @example
 * ```ts
 * import type { WithMetaState } from "@sa/toolkit";
 * const lastSeen: WithMetaState<number, number> = (v, _key, timestamp, _headers, state) => {
 *   state.set("last", timestamp);
 *   return v;
 * };
 * ```
 */
export type WithMetaState<T, R> = (
  value: T,
  key: unknown,
  timestamp: number,
  headers: MessageHeaders,
  state: State,
) => R;

/**
 * Options of `apply`, `update` and `filter`.
 *
 * @example
 * ```ts
 * import { testDataFrame } from "@sa/toolkit";
 * testDataFrame<number, string>(
 *   (sdf) => sdf.apply((v, key, timestamp) => `${key}:${v}@${timestamp}`, { metadata: true }),
 *   [{ value: 1, key: "a", timestamp: 5 }],
 * );
 * ```
 */
export interface CallbackOptions {
  /** Pass key, timestamp and headers after the value. */
  metadata?: boolean;
  /** Pass the key-scoped {@link State} as the last argument. */
  stateful?: boolean;
}

/**
 * Options of `apply`.
 *
 * @example
 * ```ts
 * import { testDataFrame } from "@sa/toolkit";
 * const rows = testDataFrame<number[], number>((sdf) => sdf.apply((v) => v, { expand: true }), [
 *   { value: [1, 2] },
 * ]);
 * console.log(rows.length); // 2
 * ```
 */
export interface ApplyOptions extends CallbackOptions {
  /** The callback returns an iterable whose elements become separate rows, in order. */
  expand?: boolean;
}

/**
 * Options of `toTopic`.
 *
 * @example
 * ```ts
 * import { TestApp } from "@sa/toolkit";
 * const app = new TestApp();
 * app.dataframe(app.topic<{ user: string }>("in")).toTopic(app.topic("by-user"), { key: (v) => v.user });
 * ```
 */
export interface ToTopicOptions<T> {
  /** Computes the output key from the value; default: keep the current key. */
  key?: (value: T) => unknown;
}

/**
 * Options of `print`.
 *
 * @example
 * ```ts
 * import { TestApp } from "@sa/toolkit";
 * const app = new TestApp();
 * app.dataframe(app.topic("in")).print({ metadata: true });
 * ```
 */
export interface PrintOptions {
  /** Also print key and timestamp. */
  metadata?: boolean;
  /** Indent the JSON (default false: one line per row). */
  pretty?: boolean;
}

type AnyFn = (...args: never[]) => unknown;
type Call = (value: unknown, key: unknown, timestamp: number, headers: MessageHeaders) => unknown;

/** Adapts a user callback to one calling convention, binding state when asked. */
function adapt(fn: AnyFn, options: CallbackOptions | undefined, rt: Runtime): Call {
  const f = fn as unknown as (...args: unknown[]) => unknown;
  const ctx = rt.ctx;
  if (options?.stateful) {
    if (options.metadata) {
      return (v, k, t, h) => {
        ctx.currentKey = k;
        ctx.timestamp = t;
        return f(v, k, t, h, ctx.state());
      };
    }
    return (v, k, t) => {
      ctx.currentKey = k;
      ctx.timestamp = t;
      return f(v, ctx.state());
    };
  }
  if (options?.metadata) return f as Call;
  return (v) => f(v);
}

function asObject(value: unknown, op: string): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new ColumnError(`${op} needs an object value, got ${got}`);
  }
  return value as Record<string, unknown>;
}

function iterate(result: unknown, what: string): Iterable<unknown> {
  if (result == null || typeof (result as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new TypeError(`${what} with expand: the callback must return an iterable`);
  }
  return result as Iterable<unknown>;
}

/** Set by `#derive` just before it calls the constructor for a non-root dataframe. */
let deriving: { stream: Stream; node: Node } | undefined;

/**
 * A lazy pipeline over the messages of one topic. Create it with `app.dataframe(topic)`.
 *
 * @example The episode-1 normalization, abridged
 * ```ts
 * import { Application } from "@sa/toolkit";
 *
 * interface Reading { name: string; time: number; values: Record<string, number> }
 * const app = new Application({ consumerGroup: "normalize" });
 * const input = app.topic<{ payload: Reading[] }>("raw-data");
 * app.dataframe(input)
 *   .apply((msg) => msg.payload, { expand: true })
 *   .filter((r) => r.name === "accelerometer")
 *   .apply((r) => ({ time: r.time, x: r.values.x, y: r.values.y, z: r.values.z }))
 *   .assign("total", (r) => Math.abs(r.x) + Math.abs(r.y) + Math.abs(r.z))
 *   .filter((r) => r.total > 50)
 *   .toTopic(app.topic("table-data"));
 * ```
 */
export class StreamingDataFrame<T> {
  readonly #registry: DataFrameRegistry;
  readonly #stream: Stream;
  #node: Node;

  /** A root dataframe over `topic` (use `app.dataframe(topic)`). */
  constructor(registry: DataFrameRegistry, topic: Topic) {
    this.#registry = registry;
    const from = deriving;
    deriving = undefined;
    this.#stream = from?.stream ?? registry.stream(topic);
    this.#node = from?.node ?? this.#stream.root;
  }

  /** The input topic name this pipeline reads (the stream id that names stores). */
  get streamId(): string {
    return this.#stream.topic.name;
  }

  /**
   * The registry of the application this dataframe belongs to (for extensions like groupBy).
   *
   * @internal
   */
  get registry(): DataFrameRegistry {
    return this.#registry;
  }

  #child(build: (next: Emit, rt: Runtime, topic: string) => Emit): Node {
    const node = new Node(build);
    this.#node.children.push(node);
    return node;
  }

  #derive<U>(build: (next: Emit, rt: Runtime, topic: string) => Emit): StreamingDataFrame<U> {
    deriving = { stream: this.#stream, node: this.#child(build) };
    return new StreamingDataFrame<U>(this.#registry, this.#stream.topic);
  }

  #extend(build: (next: Emit, rt: Runtime, topic: string) => Emit): this {
    this.#node = this.#child(build);
    return this;
  }

  #useState(options: CallbackOptions | undefined): void {
    if (options?.stateful) this.#stream.stores.add("default");
  }

  /** Maps each element of the iterable the callback returns to its own row. */
  apply<U>(
    fn: Plain<T, Iterable<U>>,
    options: { expand: true; metadata?: false; stateful?: false },
  ): StreamingDataFrame<U>;
  /** Maps each element of the iterable the callback returns to its own row (with metadata). */
  apply<U>(
    fn: WithMeta<T, Iterable<U>>,
    options: { expand: true; metadata: true; stateful?: false },
  ): StreamingDataFrame<U>;
  /** Maps each element of the iterable the callback returns to its own row (with state). */
  apply<U>(
    fn: WithState<T, Iterable<U>>,
    options: { expand: true; metadata?: false; stateful: true },
  ): StreamingDataFrame<U>;
  /** Maps each element of the iterable the callback returns to its own row (metadata, state). */
  apply<U>(
    fn: WithMetaState<T, Iterable<U>>,
    options: { expand: true; metadata: true; stateful: true },
  ): StreamingDataFrame<U>;
  /** Replaces each value with the callback's result. */
  apply<U>(
    fn: Plain<T, U>,
    options?: { expand?: false; metadata?: false; stateful?: false },
  ): StreamingDataFrame<U>;
  /** Replaces each value with the callback's result (with metadata). */
  apply<U>(
    fn: WithMeta<T, U>,
    options: { expand?: false; metadata: true; stateful?: false },
  ): StreamingDataFrame<U>;
  /** Replaces each value with the callback's result (with state). */
  apply<U>(
    fn: WithState<T, U>,
    options: { expand?: false; metadata?: false; stateful: true },
  ): StreamingDataFrame<U>;
  /** Replaces each value with the callback's result (with metadata and state). */
  apply<U>(
    fn: WithMetaState<T, U>,
    options: { expand?: false; metadata: true; stateful: true },
  ): StreamingDataFrame<U>;
  apply<U>(fn: AnyFn, options?: ApplyOptions): StreamingDataFrame<U> {
    this.#useState(options);
    if (options?.expand) {
      return this.#derive<U>((next, rt) => {
        const call = adapt(fn, options, rt);
        return (v, k, t, h) => {
          for (const item of iterate(call(v, k, t, h), "apply")) next(item, k, t, h);
        };
      });
    }
    return this.#derive<U>((next, rt) => {
      const call = adapt(fn, options, rt);
      return (v, k, t, h) => next(call(v, k, t, h), k, t, h);
    });
  }

  /** Runs a side effect (or mutates the value in place); the result is ignored. */
  update(fn: Plain<T, unknown>, options?: { metadata?: false; stateful?: false }): this;
  /** Runs a side effect with metadata. */
  update(fn: WithMeta<T, unknown>, options: { metadata: true; stateful?: false }): this;
  /** Runs a side effect with state. */
  update(fn: WithState<T, unknown>, options: { metadata?: false; stateful: true }): this;
  /** Runs a side effect with metadata and state. */
  update(fn: WithMetaState<T, unknown>, options: { metadata: true; stateful: true }): this;
  update(fn: AnyFn, options?: CallbackOptions): this {
    this.#useState(options);
    return this.#extend((next, rt) => {
      const call = adapt(fn, options, rt);
      return (v, k, t, h) => {
        call(v, k, t, h);
        next(v, k, t, h);
      };
    });
  }

  /** Keeps the rows for which the type guard holds, narrowing the type. */
  filter<S extends T>(fn: (value: T) => value is S): StreamingDataFrame<S>;
  /** Keeps the rows for which the callback returns a truthy value. */
  filter(
    fn: Plain<T, unknown>,
    options?: { metadata?: false; stateful?: false },
  ): StreamingDataFrame<T>;
  /** Keeps rows (callback with metadata). */
  filter(
    fn: WithMeta<T, unknown>,
    options: { metadata: true; stateful?: false },
  ): StreamingDataFrame<T>;
  /** Keeps rows (callback with state). */
  filter(
    fn: WithState<T, unknown>,
    options: { metadata?: false; stateful: true },
  ): StreamingDataFrame<T>;
  /** Keeps rows (callback with metadata and state). */
  filter(
    fn: WithMetaState<T, unknown>,
    options: { metadata: true; stateful: true },
  ): StreamingDataFrame<T>;
  filter(fn: AnyFn, options?: CallbackOptions): StreamingDataFrame<T> {
    this.#useState(options);
    return this.#derive<T>((next, rt) => {
      const call = adapt(fn, options, rt);
      return (v, k, t, h) => {
        if (call(v, k, t, h)) next(v, k, t, h);
      };
    });
  }

  /**
   * Keeps the rows whose value is an object with every given column set (not undefined or
   * null), and narrows the type so those columns are no longer optional.
   */
  contains<C extends string>(
    ...columns: C[]
  ): StreamingDataFrame<T & { [P in C]-?: P extends keyof T ? NonNullable<T[P]> : unknown }> {
    const cols = [...columns];
    const n = cols.length;
    return this.#derive((next) => (v, k, t, h) => {
      if (v === null || typeof v !== "object") return;
      const o = v as Record<string, unknown>;
      // Indexed loops: no iterator object per row (hot path).
      for (let i = 0; i < n; i++) if (o[cols[i]] == null) return;
      next(v, k, t, h);
    });
  }

  /** A new object value with only `columns` (Quix's `sdf[["a", "b"]]`); a missing column fails. */
  project<C extends keyof T & string>(columns: readonly C[]): StreamingDataFrame<Pick<T, C>> {
    const cols = [...columns];
    const n = cols.length;
    return this.#derive((next) => (v, k, t, h) => {
      const o = asObject(v, "project");
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const c = cols[i];
        const x = o[c];
        if (x === undefined && !(c in o)) {
          throw new ColumnError(`project: column "${c}" does not exist`);
        }
        out[c] = x;
      }
      next(out, k, t, h);
    });
  }

  /** Sets `column` to the callback's result (Quix's `sdf["c"] = ...`), in place. */
  assign<C extends string, U>(
    column: C,
    fn: (value: T) => U,
  ): StreamingDataFrame<Omit<T, C> & { [P in C]: U }> {
    return this.#derive((next) => (v, k, t, h) => {
      asObject(v, `assign("${column}")`)[column] = fn(v as T);
      next(v, k, t, h);
    });
  }

  /** Removes columns from object values, in place. */
  drop<C extends keyof T & string>(columns: readonly C[]): StreamingDataFrame<Omit<T, C>> {
    const cols = [...columns];
    return this.#derive((next) => (v, k, t, h) => {
      const o = asObject(v, "drop");
      for (const c of cols) delete o[c];
      next(v, k, t, h);
    });
  }

  /** Sets the event time (ms) used downstream by windows and `toTopic`. */
  setTimestamp(fn: WithMeta<T, number>): StreamingDataFrame<T> {
    return this.#derive((next) => (v, k, t, h) => {
      const ts = fn(v as T, k, t, h);
      if (typeof ts !== "number" || !Number.isFinite(ts)) {
        throw new TypeError(`setTimestamp: expected a finite number of ms, got ${ts}`);
      }
      next(v, k, ts, h);
    });
  }

  /** Replaces the headers; the callback receives a copy of the current ones. */
  setHeaders(fn: WithMeta<T, MessageHeaders>): StreamingDataFrame<T> {
    return this.#derive((next) => (v, k, t, h) => next(v, k, t, fn(v as T, k, t, { ...h })));
  }

  /** Prints each value (one JSON line each) to stdout. */
  print(options: PrintOptions = {}): this {
    return this.#extend((next, rt) => (v, k, t, h) => {
      const shown = options.metadata ? { value: v, key: k, timestamp: t } : v;
      rt.stdout(JSON.stringify(shown, jsonReplacer, options.pretty ? 2 : undefined));
      next(v, k, t, h);
    });
  }

  /**
   * Shows the latest rows as a live-updating table on a terminal (redrawn at most every
   * `slowdownMs` and at each checkpoint); prints one plain line per row otherwise.
   */
  printTable(options: PrintTableOptions = {}): this {
    return this.#extend((next, rt) => {
      const printer = tablePrinter(options, rt);
      return (v, k, t, h) => {
        printer.add(v, k, t);
        next(v, k, t, h);
      };
    });
  }

  /** Produces each row to `topic` (key kept unless `options.key` computes one). */
  toTopic(
    topic: Topic<T, unknown> | Topic<unknown, unknown>,
    options: ToTopicOptions<T> = {},
  ): this {
    const keyFn = options.key;
    this.#registry.outputs.add(topic as Topic);
    return this.#extend((next, rt) => {
      const out = rt.output;
      const tp = topic as Topic;
      return (v, k, t, h) => {
        out.produce(tp, v, keyFn ? keyFn(v as T) : k, t, h);
        next(v, k, t, h);
      };
    });
  }

  /**
   * Materialises the rows as the in-memory view `name`: the latest value per key (or, with
   * `{ windowed: true }`, the latest window results per key), served by the app's HTTP server
   * at `/views/<name>` (see docs/streaming-http.md). Rows pass through unchanged.
   */
  toView(name: string, options?: ViewOptions): StreamingDataFrame<T> {
    return toView(this, name, options);
  }

  /** Writes each row to `sink` (terminal); the sink is flushed at every checkpoint. */
  sink(sink: Sink): void {
    this.#child((_next, rt) => {
      rt.sinks.add(sink);
      const ctx = rt.ctx;
      return (v, k, t, h) => sink.add({ value: v, key: k, timestamp: t, headers: h }, ctx);
    });
  }

  /**
   * The generic step windows and groupBy are built on: `step.process` maps one row to any
   * number of rows, with access to the stores; `step.timer` runs on wall-clock time.
   */
  transform<U>(
    step: TransformStep<T, U>,
    options: { stores?: readonly string[] } = {},
  ): StreamingDataFrame<U> {
    for (const s of options.stores ?? []) this.#stream.stores.add(s);
    return this.#derive<U>((next, rt, topic) => {
      const ctx = rt.ctx;
      if (step.timer) {
        const timer = step.timer;
        rt.timers.push({
          topic,
          intervalMs: timer.intervalMs,
          fire(now) {
            for (const r of timer.fire(now, ctx)) {
              ctx.currentKey = r.key;
              ctx.timestamp = r.timestamp;
              next(r.value, r.key, r.timestamp, r.headers);
            }
          },
        });
      }
      return (v, k, t, h) => {
        ctx.currentKey = k;
        ctx.timestamp = t;
        for (const r of step.process(v as T, k, t, h, ctx)) {
          next(r.value, r.key, r.timestamp, r.headers);
        }
      };
    });
  }

  /**
   * Re-keys the stream by a column or a function of the value, through the topic
   * `repartition__<group>--<stream>--<name>`; state and windows after it are per new key.
   * The name defaults to the column; a function needs `{ name }`.
   */
  groupBy(
    by: (keyof T & string) | ((value: T) => unknown),
    options?: GroupByOptions,
  ): StreamingDataFrame<T> {
    return groupBy(this, by, options);
  }

  // Windows (lib/stream/windows, Quix semantics): epoch-aligned [start, end) windows, a
  // per-key event-time clock, closing when latest - grace >= end. Then choose an aggregation
  // and `.current()` or `.final()`.

  /** Fixed, non-overlapping windows: `tumblingWindow("10s").mean().final()`. */
  tumblingWindow(duration: Duration, grace?: Duration, config?: WindowConfig): WindowDefinition<T> {
    return tumblingWindow(this, duration, grace, config);
  }

  /** Overlapping windows of `duration` starting every `step`. */
  hoppingWindow(
    duration: Duration,
    step: Duration,
    grace?: Duration,
    config?: WindowConfig,
  ): WindowDefinition<T> {
    return hoppingWindow(this, duration, step, grace, config);
  }

  /** One window `[t - duration, t]` (inclusive) per record timestamp `t`. */
  slidingWindow(duration: Duration, grace?: Duration, config?: WindowConfig): WindowDefinition<T> {
    return slidingWindow(this, duration, grace, config);
  }

  /** Sessions of records less than `timeout` apart (not in Quix Streams). */
  sessionWindow(timeout: Duration, grace?: Duration, config?: WindowConfig): WindowDefinition<T> {
    return sessionWindow(this, timeout, grace, config);
  }

  /** Windows of `count` records per key. */
  tumblingCountWindow(count: number, config?: WindowConfig): WindowDefinition<T> {
    return tumblingCountWindow(this, count, config);
  }

  /** Windows of `count` records per key, a new one every `step` records. */
  hoppingCountWindow(count: number, step: number, config?: WindowConfig): WindowDefinition<T> {
    return hoppingCountWindow(this, count, step, config);
  }

  /**
   * Appends a terminal step that receives every row reaching this point (used by the test
   * harness to collect outputs).
   */
  tap(fn: (row: Row<T>) => void): this {
    this.#child(() => (v, k, t, h) => fn({ value: v as T, key: k, timestamp: t, headers: h }));
    return this;
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}
