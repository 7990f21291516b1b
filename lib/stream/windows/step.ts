/**
 * Runs a {@link WindowProcessor} as a dataframe transform step: one record in, the updated
 * (`.current()`) or closed (`.final()`) windows out, each as a row keyed like the input with
 * the window start as its timestamp. With `closeAfterIdle`, a wall-clock timer also closes the
 * windows of keys that received nothing for that long (quix-streams#790).
 *
 * @module
 */

import type { StorePartition } from "../state/types.ts";
import { Logger } from "../../util/log.ts";
import { ALL, decodePrefix, keyPrefix, META } from "./_keys.ts";
import type { WindowResult } from "./_spec.ts";
import type { WindowProcessor } from "./window.ts";

/** The slice of the runtime's step context a window needs. */
export interface WindowStepContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  store(name: string): StorePartition;
}

/** A row a window emits. */
export interface WindowRow<R = WindowResult> {
  value: R;
  key: unknown;
  timestamp: number;
  headers: Record<string, string | Uint8Array>;
}

/** `.current()` emits on every update; `.final()` once per window, when it closes. */
export type WindowMode = "current" | "final";

/** Options of {@link WindowStep}. */
export interface WindowStepOptions {
  /** Close a key's windows after this much wall-clock time without records (final only). */
  closeAfterIdleMs?: number;
  /** Logger for skipped (null-key) records. */
  logger?: Logger;
  /** Wall clock (tests inject one). */
  now?: () => number;
}

function latin1(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** A window as a transform step (structurally a `TransformStep` of the runtime). */
export class WindowStep<R = WindowResult> {
  readonly storeName: string;
  readonly timer?: {
    intervalMs: number;
    fire(nowMs: number, ctx: WindowStepContext): Iterable<WindowRow<R>>;
  };
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #idleMs?: number;
  /** Per "topic:partition": keys with open windows → last wall-clock activity. */
  readonly #seen = new Map<string, Map<string, { prefix: Uint8Array; at: number }>>();

  constructor(
    readonly processor: WindowProcessor,
    readonly mode: WindowMode,
    options: WindowStepOptions = {},
  ) {
    this.storeName = processor.name;
    this.#log = options.logger ?? new Logger("window");
    this.#now = options.now ?? Date.now;
    if (mode === "current" && processor.spec.collect) {
      throw new Error(`${processor.name}: collect() works only with .final(), not .current()`);
    }
    const idle = options.closeAfterIdleMs;
    if (idle !== undefined) {
      if (mode !== "final") throw new Error(`${processor.name}: closeAfterIdle needs .final()`);
      if (!processor.supportsIdleClose) {
        throw new Error(`${processor.name}: count windows cannot close on idle time`);
      }
      if (!(idle > 0)) throw new RangeError(`${processor.name}: closeAfterIdle must be > 0 ms`);
      this.#idleMs = idle;
      this.timer = {
        intervalMs: Math.max(10, Math.min(1000, Math.floor(idle / 4))),
        fire: (now, ctx) => this.closeIdle(now, ctx),
      };
    }
  }

  /** Processes one record. */
  process(
    value: unknown,
    key: unknown,
    timestamp: number,
    _headers: unknown,
    ctx: WindowStepContext,
  ): WindowRow<R>[] {
    if (key === null || key === undefined) {
      this.#log.warn(
        `Skipping window processing for a message because the key is None, ` +
          `partition='${ctx.topic}[${ctx.partition}]' offset='${ctx.offset}'.`,
      );
      return [];
    }
    const prefix = keyPrefix(key);
    const res = this.processor.process(value, key, prefix, timestamp, {
      topic: ctx.topic,
      partition: ctx.partition,
      offset: ctx.offset,
      store: ctx.store(this.storeName),
    });
    if (this.#idleMs !== undefined) {
      const seen = this.#partitionSeen(`${ctx.topic}:${ctx.partition}`);
      seen.set(latin1(prefix), { prefix, at: this.#now() });
    }
    const windows = this.mode === "current" ? res.updated : res.expired;
    return windows.map((w) => ({ value: w as R, key, timestamp: w.start, headers: {} }));
  }

  #partitionSeen(tp: string): Map<string, { prefix: Uint8Array; at: number }> {
    let seen = this.#seen.get(tp);
    if (!seen) {
      seen = new Map();
      this.#seen.set(tp, seen);
    }
    return seen;
  }

  /** Closes the windows of keys idle for `closeAfterIdle` on the context's partition. */
  closeIdle(nowMs: number, ctx: WindowStepContext): WindowRow<R>[] {
    const idle = this.#idleMs;
    if (idle === undefined) return [];
    const tp = `${ctx.topic}:${ctx.partition}`;
    const store = ctx.store(this.storeName);
    let seen = this.#seen.get(tp);
    if (!seen) {
      // First tick for this partition (new assignment or restart): every key with stored
      // windows starts its idle clock now.
      seen = this.#partitionSeen(tp);
      for (const [k] of store.scan(ALL[0], ALL[1])) {
        const { length } = decodePrefix(k);
        if (k[length] === META) {
          seen.set(latin1(k.subarray(0, length)), { prefix: k.slice(0, length), at: nowMs });
        }
      }
    }
    const out: WindowRow<R>[] = [];
    for (const [id, entry] of seen) {
      if (nowMs - entry.at < idle) continue;
      seen.delete(id);
      const { key } = decodePrefix(entry.prefix);
      for (const w of this.processor.closeKey(entry.prefix, store)) {
        out.push({ value: w as R, key, timestamp: w.start, headers: {} });
      }
    }
    return out;
  }

  /** Forgets a revoked partition's idle clocks. */
  forget(topic: string, partition: number): void {
    this.#seen.delete(`${topic}:${partition}`);
  }
}
