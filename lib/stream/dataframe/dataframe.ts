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

import type { Topic } from "../topic.ts";
import type { MessageHeaders, Row, Sink, TransformStep } from "../types.ts";
import type { DataFrameRegistry, Stream } from "./_pipeline.ts";
import { Node } from "./_pipeline.ts";
import type { PrintTableOptions } from "./print_table.ts";
import type {
  ApplyOptions,
  CallbackOptions,
  Plain,
  PrintOptions,
  ToTopicOptions,
  WithMeta,
  WithMetaState,
  WithState,
} from "./callbacks.ts";
import {
  type AnyFn,
  applyStep,
  assignStep,
  type Build,
  containsStep,
  dropStep,
  expandStep,
  filterStep,
  printStep,
  printTableStep,
  projectStep,
  setHeadersStep,
  setTimestampStep,
  sinkStep,
  tapStep,
  toTopicStep,
  transformStep,
  updateStep,
} from "./_steps.ts";
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

export type {
  ApplyOptions,
  CallbackOptions,
  Plain,
  PrintOptions,
  ToTopicOptions,
  WithMeta,
  WithMetaState,
  WithState,
} from "./callbacks.ts";

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

  #child(build: Build): Node {
    const node = new Node(build);
    this.#node.children.push(node);
    return node;
  }

  #derive<U>(build: Build): StreamingDataFrame<U> {
    deriving = { stream: this.#stream, node: this.#child(build) };
    return new StreamingDataFrame<U>(this.#registry, this.#stream.topic);
  }

  #extend(build: Build): this {
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
    return this.#derive<U>(options?.expand ? expandStep(fn, options) : applyStep(fn, options));
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
    return this.#extend(updateStep(fn, options));
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
    return this.#derive<T>(filterStep(fn, options));
  }

  /**
   * Keeps the rows whose value is an object with every given column set (not undefined or
   * null), and narrows the type so those columns are no longer optional.
   */
  contains<C extends string>(
    ...columns: C[]
  ): StreamingDataFrame<T & { [P in C]-?: P extends keyof T ? NonNullable<T[P]> : unknown }> {
    return this.#derive(containsStep(columns));
  }

  /** A new object value with only `columns` (Quix's `sdf[["a", "b"]]`); a missing column fails. */
  project<C extends keyof T & string>(columns: readonly C[]): StreamingDataFrame<Pick<T, C>> {
    return this.#derive(projectStep(columns));
  }

  /** Sets `column` to the callback's result (Quix's `sdf["c"] = ...`), in place. */
  assign<C extends string, U>(
    column: C,
    fn: (value: T) => U,
  ): StreamingDataFrame<Omit<T, C> & { [P in C]: U }> {
    return this.#derive(assignStep(column, fn));
  }

  /** Removes columns from object values, in place. */
  drop<C extends keyof T & string>(columns: readonly C[]): StreamingDataFrame<Omit<T, C>> {
    return this.#derive(dropStep(columns));
  }

  /** Sets the event time (ms) used downstream by windows and `toTopic`. */
  setTimestamp(fn: WithMeta<T, number>): StreamingDataFrame<T> {
    return this.#derive(setTimestampStep(fn as AnyFn as never));
  }

  /** Replaces the headers; the callback receives a copy of the current ones. */
  setHeaders(fn: WithMeta<T, MessageHeaders>): StreamingDataFrame<T> {
    return this.#derive(setHeadersStep(fn as AnyFn as never));
  }

  /** Prints each value (one JSON line each) to stdout. */
  print(options: PrintOptions = {}): this {
    return this.#extend(printStep(options));
  }

  /**
   * Shows the latest rows as a live-updating table on a terminal (redrawn at most every
   * `slowdownMs` and at each checkpoint); prints one plain line per row otherwise.
   */
  printTable(options: PrintTableOptions = {}): this {
    return this.#extend(printTableStep(options));
  }

  /** Produces each row to `topic` (key kept unless `options.key` computes one). */
  toTopic(
    topic: Topic<T, unknown> | Topic<unknown, unknown>,
    options: ToTopicOptions<T> = {},
  ): this {
    this.#registry.outputs.add(topic as Topic);
    return this.#extend(
      toTopicStep(topic as Topic, options.key as ((v: never) => unknown) | undefined),
    );
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
    this.#child(sinkStep(sink));
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
    return this.#derive<U>(transformStep(step as TransformStep<unknown, unknown>));
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
    this.#child(tapStep(fn as (row: Row<unknown>) => void));
    return this;
  }
}
