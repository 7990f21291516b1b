/**
 * A test harness for dataframes: push `(value, key, timestamp)` through a pipeline without a
 * broker and look at what it produced, printed or emitted at any point.
 *
 * Rows sent with `toTopic` are serialized with the topic's formats and decoded back (so a
 * value that cannot be serialized fails here too), and fed into any dataframe reading that
 * topic (so repartitioning pipelines work end to end).
 *
 * @module
 */

import { Logger } from "../util/log.ts";
import {
  DataFrameRegistry,
  type Emit,
  ExecContext,
  type PipelineTimer,
  type Runtime,
} from "./dataframe/_pipeline.ts";
import { StreamingDataFrame } from "./dataframe/dataframe.ts";
import { ProcessingError, SerializationError } from "./errors.ts";
import { MemoryStateBackend } from "./state/memory.ts";
import type { StateBackend } from "./state/types.ts";
import { Topic, type TopicOptions } from "./topic.ts";
import type { LogLevel, MessageHeaders, Row, Sink } from "./types.ts";

/**
 * Options of {@link TestApp}.
 *
 * @example
 * ```ts
 * import { TestApp } from "@sa/toolkit";
 * const app = new TestApp({ consumerGroup: "odometer", logLevel: "DEBUG" });
 * ```
 */
export interface TestAppOptions {
  /** Names internal topics (default `"test"`). */
  consumerGroup?: string;
  /** State backend (default: a fresh in-memory one). */
  stateBackend?: StateBackend;
  /** Log level of the harness's logger (default `"WARN"`). */
  logLevel?: LogLevel;
  /** Pretend stdout is a terminal (live `printTable`), default false. */
  terminal?: boolean;
}

/**
 * Where a pushed message comes from.
 *
 * @example
 * ```ts
 * import { TestApp } from "@sa/toolkit";
 * const app = new TestApp();
 * const input = app.topic<number>("in");
 * app.dataframe(input).print();
 * app.push(input, 1, { key: "a", timestamp: 1000, partition: 1 });
 * ```
 */
export interface PushOptions {
  /** Message key (default `null`). */
  key?: unknown;
  /** Event time in ms (default 0). */
  timestamp?: number;
  /** Headers (default none). */
  headers?: MessageHeaders;
  /** Input partition (default 0). */
  partition?: number;
  /** Input offset (default: next offset of that partition). */
  offset?: number;
}

/**
 * A row produced to a topic, as a consumer of that topic would read it.
 *
 * @example
 * ```ts
 * import { TestApp, type ProducedRow } from "@sa/toolkit";
 * const app = new TestApp();
 * const input = app.topic<number>("in");
 * app.dataframe(input).toTopic(app.topic("out"));
 * app.push(input, 1);
 * const rows: ProducedRow<number>[] = app.produced<number>("out");
 * ```
 */
export interface ProducedRow<V = unknown> extends Row<V> {
  /** The destination topic. */
  topic: string;
}

/**
 * An in-process stand-in for `Application` that runs dataframes synchronously.
 *
 * @example
 * ```ts
 * import { TestApp } from "@sa/toolkit";
 *
 * const app = new TestApp();
 * const input = app.topic<{ x: number }>("in");
 * const out = app.topic("out");
 * app.dataframe(input).filter((v) => v.x > 1).apply((v) => ({ y: v.x * 2 })).toTopic(out);
 * app.push(input, { x: 1 });
 * app.push(input, { x: 3 }, { key: "k", timestamp: 1000 });
 * console.log(app.produced("out")); // [{ topic: "out", value: { y: 6 }, key: "k", timestamp: 1000, headers: {} }]
 * ```
 */
export class TestApp {
  /**
   * The dataframes of this harness.
   *
   * @internal
   */
  readonly registry: DataFrameRegistry;
  /** The state backend (in-memory unless given). */
  readonly state: StateBackend;
  /** Lines written by `print`/`printTable`. */
  readonly printed: string[] = [];
  readonly #topics = new Map<string, Topic>();
  readonly #produced: ProducedRow[] = [];
  readonly #sinks = new Set<Sink>();
  readonly #timers: PipelineTimer[] = [];
  readonly #ctx: ExecContext;
  readonly #logger: Logger;
  readonly #assigned = new Set<string>();
  readonly #offsets = new Map<string, number>();
  #compiled?: Map<string, Emit>;
  #queue: Array<[Topic, Row, number]> = [];
  readonly #terminal: boolean;

  /** Creates an empty harness. */
  constructor(options: TestAppOptions = {}) {
    this.state = options.stateBackend ?? new MemoryStateBackend();
    this.#ctx = new ExecContext(this.state);
    this.#logger = new Logger("test", options.logLevel ?? "WARN");
    this.#terminal = options.terminal ?? false;
    this.registry = new DataFrameRegistry(
      (name, opts) => this.topic(name, opts),
      options.consumerGroup ?? "test",
    );
  }

  /** Declares a topic (same options as `app.topic`). */
  topic<V = unknown, K = unknown>(name: string, options?: TopicOptions<V, K>): Topic<V, K> {
    const existing = this.#topics.get(name);
    if (existing) return existing as unknown as Topic<V, K>;
    const t = new Topic<V, K>(name, options);
    this.#topics.set(name, t as unknown as Topic);
    return t;
  }

  /** A dataframe reading `topic`. */
  dataframe<V>(topic: Topic<V, unknown>): StreamingDataFrame<V> {
    this.#compiled = undefined;
    return new StreamingDataFrame<V>(this.registry, topic as unknown as Topic);
  }

  /** Returns an array that fills with every row reaching `sdf` from now on. */
  collect<T>(sdf: StreamingDataFrame<T>): Row<T>[] {
    this.#compiled = undefined;
    const rows: Row<T>[] = [];
    sdf.tap((r) => rows.push(r));
    return rows;
  }

  /** Rows produced so far, optionally only those sent to `topic`. */
  produced<V = unknown>(topic?: string): ProducedRow<V>[] {
    return (topic
      ? this.#produced.filter((r) => r.topic === topic)
      : [...this.#produced]) as ProducedRow<V>[];
  }

  #compile(): Map<string, Emit> {
    if (this.#compiled) return this.#compiled;
    this.#sinks.clear();
    this.#timers.length = 0;
    const rt: Runtime = {
      ctx: this.#ctx,
      output: {
        produce: (topic, value, key, timestamp, headers) => {
          let v: Uint8Array | null;
          try {
            v = topic.serializeValue(value);
          } catch (e) {
            throw new SerializationError("value", String((e as Error).message ?? e), undefined, {
              serializing: true,
              topic: topic.name,
              cause: e,
            });
          }
          const k = topic.serializeKey(key);
          const row: Row = {
            value: topic.deserializeValue(v),
            key: topic.deserializeKey(k),
            timestamp,
            headers: { ...headers },
          };
          this.#produced.push({ topic: topic.name, ...row });
          if (this.registry.streams.has(topic.name)) {
            this.#queue.push([this.registry.streams.get(topic.name)!.topic, row, 0]);
          }
        },
      },
      sinks: this.#sinks,
      timers: this.#timers,
      logger: this.#logger,
      stdout: (text) => this.printed.push(text),
      isTerminal: this.#terminal,
    };
    this.#compiled = this.registry.compile(rt);
    return this.#compiled;
  }

  #assign(topic: string, partition: number): void {
    const tp = `${topic}:${partition}`;
    if (this.#assigned.has(tp)) return;
    this.#assigned.add(tp);
    // The in-memory backend is ready synchronously; durable backends need `await app.assign()`.
    void this.state.assign(topic, partition);
  }

  /** Assigns a partition and waits for its stores (needed before `push` with durable backends). */
  async assign(topic: Topic<unknown, unknown> | string, partition = 0): Promise<void> {
    const name = typeof topic === "string" ? topic : topic.name;
    const tp = `${name}:${partition}`;
    if (this.#assigned.has(tp)) return;
    await this.state.assign(name, partition);
    this.#assigned.add(tp);
  }

  /**
   * Processes one message synchronously through every dataframe reading `topic` (and any
   * dataframe reading topics those produce to). Throws a {@link ProcessingError} naming the
   * message when a step fails.
   */
  push<V>(topic: Topic<V, unknown> | string, value: V, options: PushOptions = {}): void {
    const t = typeof topic === "string" ? this.topic(topic) : topic as unknown as Topic;
    const partition = options.partition ?? 0;
    this.#queue.push([t, {
      value,
      key: options.key ?? null,
      timestamp: options.timestamp ?? 0,
      headers: options.headers ?? {},
    }, partition]);
    if (options.offset !== undefined) this.#offsets.set(`${t.name}:${partition}`, options.offset);
    this.#drain();
  }

  #drain(): void {
    const compiled = this.#compile();
    while (this.#queue.length > 0) {
      const [t, row, partition] = this.#queue.shift()!;
      const emit = compiled.get(t.name);
      if (!emit) continue;
      const tp = `${t.name}:${partition}`;
      const offset = this.#offsets.get(tp) ?? 0;
      this.#offsets.set(tp, offset + 1);
      this.#assign(t.name, partition);
      const ctx = this.#ctx;
      ctx.topic = t.name;
      ctx.partition = partition;
      ctx.offset = offset;
      ctx.currentKey = row.key;
      ctx.timestamp = row.timestamp;
      const timestamp = t.timestampExtractor
        ? t.timestampExtractor(row.value, row.headers, row.timestamp, 1)
        : row.timestamp;
      try {
        emit(row.value, row.key, timestamp, row.headers);
      } catch (e) {
        this.#queue = [];
        throw new ProcessingError({ topic: t.name, partition, offset }, e);
      }
    }
  }

  /** Fires every timer (e.g. idle window closing) for each partition seen so far, at `nowMs`. */
  tick(nowMs: number = Date.now()): void {
    this.#compile();
    for (const timer of this.#timers) {
      for (const tp of this.#assigned) {
        const i = tp.lastIndexOf(":");
        if (tp.slice(0, i) !== timer.topic) continue;
        this.#ctx.topic = timer.topic;
        this.#ctx.partition = Number(tp.slice(i + 1));
        this.#ctx.offset = -1;
        timer.fire(nowMs);
      }
    }
    this.#drain();
  }

  /** Runs a checkpoint: deletes expired state, flushes sinks, then the state backend. */
  async checkpoint(): Promise<void> {
    this.#compile();
    this.#ctx.purgeExpired();
    for (const s of this.#sinks) await s.flush();
    await this.state.prepareCheckpoint();
    await this.state.flush(new Map([...this.#offsets]));
  }

  /** Closes sinks and the state backend. */
  async close(): Promise<void> {
    for (const s of this.#sinks) await s.close?.();
    await this.state.close();
  }
}

/**
 * Pushes `messages` through the pipeline `build` makes from an input dataframe and returns
 * the rows reaching its end (Quix's `sdf.test()`).
 *
 * @example
 * ```ts
 * import { testDataFrame } from "@sa/toolkit";
 *
 * const rows = testDataFrame<{ x: number }, number>(
 *   (sdf) => sdf.apply((v) => v.x * 10),
 *   [{ value: { x: 1 } }, { value: { x: 2 }, key: "a", timestamp: 5 }],
 * );
 * console.log(rows.map((r) => r.value)); // [10, 20]
 * ```
 */
export function testDataFrame<T, U>(
  build: (sdf: StreamingDataFrame<T>) => StreamingDataFrame<U>,
  messages: ReadonlyArray<PushOptions & { value: T }>,
): Row<U>[] {
  const app = new TestApp();
  const input = app.topic<T>("input");
  const rows = app.collect(build(app.dataframe(input)));
  for (const m of messages) app.push(input, m.value, m);
  return rows;
}
