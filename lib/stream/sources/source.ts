/**
 * The `Source` API: code that brings data into Kafka from outside (an HTTP endpoint, an MQTT
 * broker, a file...). A source is started and stopped with its application and produces to
 * one topic; `produce` resolves once the broker has acknowledged the message, so a source can
 * answer its own client only when the data is durable. A resumable source keeps its position
 * in `ctx.state`, saved at each checkpoint after every message produced before it was acked.
 *
 * @module
 */

import type { Topic } from "../topic.ts";
import type { MessageHeaders } from "../types.ts";

/**
 * One message a source produces. A `Uint8Array` key or value is sent as is; anything else
 * goes through the topic's serializer.
 *
 * @example
 * ```ts
 * import type { SourceMessage } from "@sa/toolkit";
 * const m: SourceMessage = { key: "phone-1", value: { x: 1 }, headers: { via: "http" } };
 * ```
 */
export interface SourceMessage {
  /** The key (default none). */
  key?: unknown;
  /** The value. */
  value: unknown;
  /** Timestamp in ms (default: now). */
  timestamp?: number;
  /** Headers. */
  headers?: MessageHeaders;
  /** Explicit partition (default: by key hash). */
  partition?: number;
}

/**
 * A source's checkpointed key/value state (JSON values). Changes are saved at the next
 * checkpoint, after every message produced before them has been acknowledged; after a crash
 * the source resumes from the last saved values (messages since then may be produced again).
 *
 * @example
 * ```ts
 * import type { SourceState } from "@sa/toolkit";
 * function nextLine(state: SourceState): number {
 *   return state.get<number>("line") ?? 0;
 * }
 * ```
 */
export interface SourceState {
  /** The saved or last set value of `key`. */
  get<T = unknown>(key: string): T | undefined;
  /** Sets `key` (saved at the next checkpoint). */
  set(key: string, value: unknown): void;
  /** Deletes `key`. */
  delete(key: string): void;
}

/**
 * What a running source gets.
 *
 * @example
 * ```ts
 * import type { SourceContext } from "@sa/toolkit";
 * async function tick(ctx: SourceContext) {
 *   while (!ctx.signal.aborted) {
 *     await ctx.produce({ key: "clock", value: { now: Date.now() } });
 *     await new Promise((r) => setTimeout(r, 1000));
 *   }
 * }
 * ```
 */
export interface SourceContext {
  /** Aborted when the application stops; `run` should then return soon. */
  readonly signal: AbortSignal;
  /** The topic this source produces to. */
  readonly topic: Topic;
  /** Checkpointed state (see {@link SourceState}). */
  readonly state: SourceState;
  /** Produces one message; resolves once the broker acknowledged it (acks=all). */
  produce(message: SourceMessage): Promise<void>;
  /** Waits for every message produced so far, then saves the state (a checkpoint). */
  checkpoint(): Promise<void>;
  /** Logs one line through the application's logger. */
  log(level: "DEBUG" | "INFO" | "WARN" | "ERROR", line: string): void;
}

/**
 * A source: `run(ctx)` produces until it is done or `ctx.signal` is aborted. Add it with
 * `app.addSource(source, topic?)` or `app.dataframe(source)`; without a topic it produces to
 * `defaultTopic()`, else to `source__<name>` (JSON values).
 *
 * @example A source that counts, resuming where it stopped
 * ```ts
 * import { Application, type Source, type SourceContext } from "@sa/toolkit";
 *
 * const counter: Source = {
 *   name: "counter",
 *   async run(ctx: SourceContext) {
 *     let n = ctx.state.get<number>("n") ?? 0;
 *     while (!ctx.signal.aborted && n < 100) {
 *       await ctx.produce({ key: "count", value: { n } });
 *       ctx.state.set("n", ++n);
 *     }
 *   },
 * };
 * const app = new Application({ consumerGroup: "counter" });
 * app.addSource(counter, app.topic("counts"));
 * const stop = new AbortController();
 * setTimeout(() => stop.abort(), 5000);
 * await app.run({ signal: stop.signal });
 * ```
 */
export interface Source {
  /** Unique within the app; names its state file and its default topic. */
  readonly name: string;
  /** The topic to produce to when none is given. */
  defaultTopic?(): Topic;
  /** Called once before `run` (open a connection, bind a port...); a throw stops the app. */
  setup?(): Promise<void> | void;
  /** Produces messages; a rejection stops the application with the error. */
  run(ctx: SourceContext): Promise<void>;
}
