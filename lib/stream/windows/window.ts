/**
 * The common part of every window kind: per-key metadata, late-record reporting and the
 * contract the dataframe drives (`process` per record, `closeKey` for wall-clock idle close).
 *
 * @module
 */

import type { StorePartition } from "../state/types.ts";
import { Logger } from "../../util/log.ts";
import { decodeJson, encodeJson, entryKey, META } from "./_keys.ts";
import type { AggSpec, WindowResult } from "./_spec.ts";

/** Where the record being processed comes from, and the store partition of its window. */
export interface WindowContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly store: StorePartition;
}

/**
 * What `onLate` receives about a record that arrived for an already closed window.
 *
 * @example Describing a late record
 * ```ts
 * import { type LateRecord, TestApp } from "@sa/toolkit";
 *
 * const describe = (l: LateRecord) =>
 *   `${l.topic}[${l.partition}]@${l.offset} key=${l.key}: ${l.lateByMs} ms late for ` +
 *   `[${l.start}, ${l.end}) of ${l.storeName}`;
 *
 * const app = new TestApp();
 * const input = app.topic<number>("temperatures");
 * const lateLines: string[] = [];
 * app.dataframe(input)
 *   .tumblingWindow("10s", 0, { onLate: (l) => void lateLines.push(describe(l)) })
 *   .mean().final();
 * app.push(input, 20, { key: "room-1", timestamp: 1_000 });
 * app.push(input, 21, { key: "room-1", timestamp: 12_000 }); // closes [0, 10s)
 * app.push(input, 19, { key: "room-1", timestamp: 4_000 }); // late
 * console.log(lateLines[0]);
 * // "temperatures[0]@2 key=room-1: 8000 ms late for [0, 10000) of tumbling_window_10000_mean"
 * ```
 */
export interface LateRecord {
  /** The record's value. */
  value: unknown;
  /** The record's key. */
  key: unknown;
  /** The record's timestamp. */
  timestampMs: number;
  /** How far behind the closing watermark it is. */
  lateByMs: number;
  /** Start of the closed window it belongs to. */
  start: number;
  /** End of that window. */
  end: number;
  /** The window's store name. */
  storeName: string;
  /** Input topic. */
  topic: string;
  /** Input partition. */
  partition: number;
  /** Input offset. */
  offset: number;
}

/**
 * Called for each late record (once per closed window it falls into). Return `false` to
 * suppress the warning (e.g. after sending it to a dead-letter topic), as Quix's `on_late`.
 *
 * @example Count late records and keep them out of the log
 * ```ts
 * import { type OnLate, TestApp } from "@sa/toolkit";
 *
 * let lateCount = 0;
 * const onLate: OnLate = () => {
 *   lateCount++;
 *   return false; // no warning
 * };
 *
 * const app = new TestApp();
 * const input = app.topic<number>("temperatures");
 * app.dataframe(input).tumblingWindow("10s", "2s", { onLate }).max().final();
 * app.push(input, 20, { key: "room-1", timestamp: 1_000 });
 * app.push(input, 21, { key: "room-1", timestamp: 13_000 }); // closes [0, 10s) (2 s grace)
 * app.push(input, 19, { key: "room-1", timestamp: 9_000 }); // late
 * console.log(lateCount); // 1
 * ```
 */
export type OnLate = (late: LateRecord) => boolean | void;

/** Per-key window metadata: event-time clock and closing watermarks. */
export interface KeyMeta {
  /** Largest timestamp seen for the key (0 before any, as Quix). */
  latest: number;
  /** Largest window end closed by wall-clock idle closing (-Infinity: none). */
  closedEnd: number;
  /** Kind-specific progress marker (sliding: start of the last closed window; tumbling and
   * hopping: lower bound of the start of any window still open). */
  mark: number;
  /** Arrival counter, to fold records in processing order (sliding, session). */
  seq: number;
}

/** Results of one record: windows it updated, and windows it closed. */
export interface ProcessResult {
  updated: WindowResult[];
  expired: WindowResult[];
}

/** Options shared by every window kind. */
export interface WindowOptions {
  /** Late-record hook; see {@link OnLate}. */
  onLate?: OnLate;
  /** Where late warnings go (default: a `window` logger on stderr). */
  logger?: Logger;
  /**
   * Late warnings per partition are summarised: the first late record gets a full line, the
   * ones after it within this interval are only counted, and the next line says how many were
   * skipped (default 10 000 ms; 0 logs every late record).
   */
  lateLogIntervalMs?: number;
  /** Clock for the late-warning interval (default `Date.now`). */
  now?: () => number;
}

/** Late records of one partition since its last warning line. */
interface LateTally {
  lineAt: number;
  records: number;
  lastOffset: number;
}

/** One window definition's processing logic over a {@link StorePartition}. */
export abstract class WindowProcessor {
  readonly #onLate?: OnLate;
  readonly #log: Logger;
  readonly #lateInterval: number;
  readonly #now: () => number;
  readonly #late = new Map<string, LateTally>();
  #lateTotal = 0;

  constructor(readonly name: string, readonly spec: AggSpec, options: WindowOptions = {}) {
    this.#onLate = options.onLate;
    this.#log = options.logger ?? new Logger("window");
    this.#lateInterval = options.lateLogIntervalMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Late (record, window) pairs skipped so far, logged or not. */
  get lateCount(): number {
    return this.#lateTotal;
  }

  /** Applies one record (`prefix` = encoded message key) and returns what changed. */
  abstract process(
    value: unknown,
    key: unknown,
    prefix: Uint8Array,
    timestampMs: number,
    ctx: WindowContext,
  ): ProcessResult;

  /** Closes every open window of one key now (wall-clock idle closing) and returns them. */
  abstract closeKey(prefix: Uint8Array, store: StorePartition): WindowResult[];

  /** Whether wall-clock idle closing makes sense for this kind. */
  get supportsIdleClose(): boolean {
    return true;
  }

  protected readMeta(store: StorePartition, prefix: Uint8Array): KeyMeta {
    const raw = store.get(entryKey(prefix, META));
    if (!raw) return { latest: 0, closedEnd: -Infinity, mark: -Infinity, seq: 0 };
    const [latest, closedEnd, mark, seq] = decodeJson<
      [number, number | null, number | null, number]
    >(raw);
    return { latest, closedEnd: closedEnd ?? -Infinity, mark: mark ?? -Infinity, seq };
  }

  protected writeMeta(store: StorePartition, prefix: Uint8Array, meta: KeyMeta): void {
    const f = (n: number) => (Number.isFinite(n) ? n : null);
    store.set(
      entryKey(prefix, META),
      encodeJson([meta.latest, f(meta.closedEnd), f(meta.mark), meta.seq]),
    );
  }

  /** Reports a late record: `onLate`, then (unless it returned false) a warning. */
  protected late(
    value: unknown,
    key: unknown,
    timestampMs: number,
    lateByMs: number,
    start: number,
    end: number,
    ctx: WindowContext,
  ): void {
    let log = true;
    if (this.#onLate) {
      log = this.#onLate({
        value,
        key,
        timestampMs,
        lateByMs,
        start,
        end,
        storeName: this.name,
        topic: ctx.topic,
        partition: ctx.partition,
        offset: ctx.offset,
      }) !== false;
    }
    this.#lateTotal++;
    if (!log) return;
    // A replay looping under a windowed app makes every record late for several windows:
    // one line per partition per interval, with the count of what it did not print.
    const part = `${ctx.topic}[${ctx.partition}]`;
    const now = this.#now();
    let tally = this.#late.get(part);
    if (tally && now - tally.lineAt < this.#lateInterval) {
      if (tally.lastOffset !== ctx.offset) tally.records++;
      tally.lastOffset = ctx.offset;
      return;
    }
    const skipped = tally?.records ?? 0;
    tally = { lineAt: now, records: 0, lastOffset: ctx.offset };
    this.#late.set(part, tally);
    this.#log.warn(
      `Skipping window processing for the closed window timestamp_ms=${timestampMs} ` +
        `window=(${start}, ${end}) late_by_ms=${lateByMs} store_name=${this.name} ` +
        `partition=${part} offset=${ctx.offset}` +
        (skipped
          ? `; ${skipped} more late record${skipped === 1 ? "" : "s"} skipped on ${part} ` +
            `since the last warning`
          : ""),
    );
  }
}
