/**
 * The calling conventions of dataframe callbacks (value only, with metadata, with state) and
 * the options of the dataframe operations that take them.
 *
 * @module
 */

import type { State } from "../state/types.ts";
import type { MessageHeaders } from "../types.ts";

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
