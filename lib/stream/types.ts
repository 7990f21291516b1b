/**
 * Shared types of the stream runtime: rows, headers, sinks and the generic transform step
 * that windows and groupBy build on.
 *
 * @module
 */

import type { State, StorePartition } from "./state/types.ts";

/**
 * Message headers: name → value (strings are UTF-8 encoded when produced).
 *
 * @example
 * ```ts
 * import type { MessageHeaders } from "@sa/toolkit";
 * const headers: MessageHeaders = { source: "phone", raw: new Uint8Array([1, 2]) };
 * ```
 */
export type MessageHeaders = Record<string, string | Uint8Array>;

/**
 * One message as it flows through a dataframe.
 *
 * @example
 * ```ts
 * import { testDataFrame, type Row } from "@sa/toolkit";
 * const rows: Row<number>[] = testDataFrame<number, number>((sdf) => sdf, [{ value: 1 }]);
 * console.log(rows[0].value, rows[0].key, rows[0].timestamp);
 * ```
 */
export interface Row<T = unknown> {
  /** The (deserialized) value. */
  value: T;
  /** The (deserialized) key; `null` when the message has none. */
  key: unknown;
  /** Event time in ms since the epoch. */
  timestamp: number;
  /** Headers. */
  headers: MessageHeaders;
}

/**
 * Where the row being processed came from, plus its stores.
 *
 * @example
 * ```ts
 * import type { StepContext } from "@sa/toolkit";
 * function where(ctx: StepContext): string {
 *   return `${ctx.topic}[${ctx.partition}]@${ctx.offset}`;
 * }
 * ```
 */
export interface StepContext {
  /** Input topic (the stream id). */
  readonly topic: string;
  /** Input partition. */
  readonly partition: number;
  /** Input offset; -1 when called from a timer. */
  readonly offset: number;
  /** The raw store partition `name` of the current (topic, partition). */
  store(name: string): StorePartition;
  /** Key-scoped JSON state of store `name` (default `"default"`) for the current row's key. */
  state(name?: string): State;
}

/**
 * The generic dataframe step: takes one row, yields zero or more. Windows and groupBy are
 * built on it via `StreamingDataFrame.transform`.
 *
 * @example
 * ```ts
 * import { testDataFrame, type TransformStep } from "@sa/toolkit";
 * const duplicate: TransformStep<number, number> = {
 *   *process(value, key, timestamp, headers) {
 *     yield { value, key, timestamp, headers };
 *     yield { value, key, timestamp, headers };
 *   },
 * };
 * testDataFrame<number, number>((sdf) => sdf.transform(duplicate), [{ value: 1 }]);
 * ```
 */
export interface TransformStep<T, U> {
  /** Processes one row. Rows are emitted downstream in iteration order. */
  process(
    value: T,
    key: unknown,
    timestamp: number,
    headers: MessageHeaders,
    ctx: StepContext,
  ): Iterable<Row<U>>;
  /**
   * Called every `intervalMs` of wall-clock time for each assigned partition of the stream
   * (ctx.offset is -1), e.g. to close idle windows. Rows it yields flow downstream.
   */
  timer?: {
    intervalMs: number;
    fire(nowMs: number, ctx: StepContext): Iterable<Row<U>>;
  };
}

/**
 * Metadata a sink receives with each row.
 *
 * @example
 * ```ts
 * import type { Row, Sink, SinkContext } from "@sa/toolkit";
 * const logSink: Sink = {
 *   add: (row: Row, ctx: SinkContext) => console.log(`${ctx.topic}[${ctx.partition}]@${ctx.offset}`, row.value),
 *   flush: () => {},
 * };
 * ```
 */
export interface SinkContext {
  /** Input topic. */
  readonly topic: string;
  /** Input partition. */
  readonly partition: number;
  /** Input offset. */
  readonly offset: number;
}

/**
 * A destination for rows outside Kafka (a file, a database...). `add` buffers; `flush` is
 * called at every checkpoint before offsets are committed, so a row is never committed before
 * its sink has persisted it. Most sinks extend `BatchingSink`, which buffers per
 * partition and hands whole batches to `write(batch)`.
 *
 * @example Collect rows in memory
 * ```ts
 * import type { Row, Sink } from "@sa/toolkit";
 * class ArraySink implements Sink {
 *   pending: Row[] = [];
 *   done: Row[] = [];
 *   add(row: Row) {
 *     this.pending.push(row);
 *   }
 *   flush() {
 *     this.done.push(...this.pending.splice(0));
 *   }
 * }
 * ```
 */
export interface Sink {
  /** Called once when the application starts, before any row (connect, create a table...). */
  setup?(): Promise<void> | void;
  /** Receives one row; should only buffer. */
  add(row: Row, ctx: SinkContext): void;
  /**
   * Persists everything added so far; a rejection fails the checkpoint. Throwing a
   * `SinkBackpressureError` instead pauses the input and retries the checkpoint later.
   */
  flush(): Promise<void> | void;
  /** Called once when the application stops. */
  close?(): Promise<void> | void;
}

/**
 * Log levels of the runtime, lowest first (`SILENT` logs nothing). Lines go to stderr, one
 * per event, with time, level and component.
 *
 * @example
 * ```ts
 * import { Application, type LogLevel } from "@sa/toolkit";
 * const level: LogLevel = "DEBUG";
 * const app = new Application({ logLevel: level });
 * ```
 */
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR" | "SILENT";
