/**
 * Sliding time windows with Quix Streams' semantics (`windows/sliding.py`): every record at
 * `t` defines the window `[max(0, t - duration), t]`, inclusive at both ends, aggregating all
 * records of its key in that range. The key's clock is its latest timestamp; windows starting
 * at or before `latest - grace - 1 - duration` are closed, and records at or before that
 * point are late and dropped.
 *
 * The store follows Quix's left/right window bookkeeping (left window `[t - d, t]`, right
 * window `[t + 1, t + 1 + d]`, each with the largest timestamp it holds), so the emitted
 * windows, their values and the `onLate` calls match Quix, including its edge cases: a record
 * that is not late but whose own window is past the watermark gets that window created when an
 * earlier window exists, is reported through `onLate` when a window ending exactly at `t`
 * exists, and is silently left out otherwise. Collected items (`collect()`) are kept as raw
 * records and gathered by timestamp when a window closes.
 *
 * @module
 */

import type { StorePartition } from "../state/types.ts";
import { decodeJson, encodeJson, entryKey, readNum, RECORD, WINDOW } from "./_keys.ts";
import type { AggSpec, WindowResult, WindowState } from "./_spec.ts";
import {
  type KeyMeta,
  type ProcessResult,
  type WindowContext,
  type WindowOptions,
  WindowProcessor,
} from "./window.ts";

/** A stored window: bounds, the largest record timestamp in it, and its aggregation states. */
interface Win {
  start: number;
  end: number;
  maxTs: number;
  agg: WindowState["a"];
}

/** A sliding window of a fixed duration. */
export class SlidingWindow extends WindowProcessor {
  constructor(
    name: string,
    spec: AggSpec,
    readonly durationMs: number,
    readonly graceMs: number,
    options: WindowOptions = {},
  ) {
    super(name, spec, options);
  }

  /** Stored windows whose start is in `[from, to]`, by start then end. */
  #windows(store: StorePartition, prefix: Uint8Array, from: number, to: number): Win[] {
    const out: Win[] = [];
    if (to < from) return out;
    const lo = entryKey(prefix, WINDOW, Math.max(0, from));
    const hi = entryKey(prefix, WINDOW, to + 1);
    for (const [k, v] of store.scan(lo, hi)) {
      const [maxTs, agg] = decodeJson<[number, WindowState["a"]]>(v);
      out.push({
        start: readNum(k, prefix.length, 0),
        end: readNum(k, prefix.length, 1),
        maxTs,
        agg,
      });
    }
    return out;
  }

  #put(store: StorePartition, prefix: Uint8Array, w: Win): WindowResult {
    store.set(entryKey(prefix, WINDOW, w.start, w.end), encodeJson([w.maxTs, w.agg]));
    return this.spec.results({ a: w.agg }, w.start, w.end);
  }

  /** `agg` with one more record folded in (a copy; collected items are kept as records). */
  #add(agg: WindowState["a"] | null, value: unknown, ts: number): WindowState["a"] {
    const base = agg ? structuredClone(agg) : this.spec.initialize().a;
    return this.spec.add({ a: base }, value, ts).a;
  }

  /** The output of a closed window; collected items are every record in `[start, end]`. */
  #closed(store: StorePartition, prefix: Uint8Array, w: Win): WindowResult {
    if (!this.spec.collect) return this.spec.results({ a: w.agg }, w.start, w.end);
    const tmp: WindowState = { a: {}, c: [] };
    const lo = entryKey(prefix, RECORD, w.start);
    const hi = entryKey(prefix, RECORD, w.end + 1);
    for (const [k, v] of store.scan(lo, hi)) {
      this.spec.add(tmp, decodeJson(v), readNum(k, prefix.length, 0));
    }
    return this.spec.results({ a: w.agg, c: tmp.c }, w.start, w.end);
  }

  process(
    value: unknown,
    key: unknown,
    prefix: Uint8Array,
    timestampMs: number,
    ctx: WindowContext,
  ): ProcessResult {
    const store = ctx.store;
    const d = this.durationMs;
    const t = timestampMs;
    const meta = this.readMeta(store, prefix);
    const latest = Math.max(t, meta.latest);
    // Both ends are inclusive: a record at exactly latest - grace - 1 - duration is late.
    const maxExpiredEnd = Math.max(latest - this.graceMs - 1, meta.closedEnd);
    const maxExpiredStart = maxExpiredEnd - d;
    let maxDeletedStart = maxExpiredStart - d;
    const leftStart = Math.max(0, t - d);
    const lateBy = maxExpiredEnd + 1 - t;
    if (t <= maxExpiredStart) {
      this.late(value, key, t, lateBy, leftStart, t, ctx);
      return { updated: [], expired: [] };
    }
    meta.latest = latest;

    // Each record has a left window [t - d, t] and a right window [t + 1, t + 1 + d]; existing
    // windows are visited from the right, as Quix does, until one ends at or before t.
    const rightStart = t + 1;
    let rightExists = false;
    const starts = new Set([leftStart]);
    const updated: WindowResult[] = [];
    const seen = this.#windows(store, prefix, Math.max(0, leftStart - d), rightStart).reverse();
    let leftDone = false;
    for (const w of seen) {
      starts.add(w.start);
      if (w.start === rightStart) {
        rightExists = true;
      } else if (w.end > t) {
        if (!rightExists && w.maxTs > t) {
          this.#put(store, prefix, {
            start: rightStart,
            end: rightStart + d,
            maxTs: w.maxTs,
            agg: w.agg,
          });
          rightExists = true;
        }
        if (w.start > maxExpiredStart) {
          const maxTs = Math.max(t, w.maxTs);
          const res = this.#put(store, prefix, { ...w, maxTs, agg: this.#add(w.agg, value, t) });
          if (w.end === maxTs) updated.push(res); // only left windows are emitted
        } else {
          this.late(value, key, t, lateBy, w.start, w.end, ctx);
        }
      } else if (w.end === t) {
        const prevRight = w.maxTs + 1;
        if (!starts.has(prevRight) && w.maxTs < t) {
          const agg = this.#add(null, value, t);
          this.#put(store, prefix, { start: prevRight, end: prevRight + d, maxTs: t, agg });
        }
        if (w.start > maxExpiredStart) {
          updated.push(
            this.#put(store, prefix, { ...w, maxTs: t, agg: this.#add(w.agg, value, t) }),
          );
        } else {
          this.late(value, key, t, lateBy, w.start, w.end, ctx);
        }
        leftDone = true;
        break;
      } else {
        const prevRight = w.maxTs + 1;
        if (!starts.has(prevRight) && prevRight + d >= t) {
          const agg = this.#add(null, value, t);
          this.#put(store, prefix, { start: prevRight, end: prevRight + d, maxTs: t, agg });
        }
        // Quix creates this left window even when it is already past the closing watermark.
        const agg = this.#add(leftStart > w.maxTs ? null : w.agg, value, t);
        updated.push(this.#put(store, prefix, { start: leftStart, end: t, maxTs: t, agg }));
        maxDeletedStart = Math.min(w.start - 1, maxExpiredStart);
        leftDone = true;
        break;
      }
    }
    if (!leftDone && leftStart > maxExpiredStart) {
      const agg = this.#add(null, value, t);
      updated.push(this.#put(store, prefix, { start: leftStart, end: t, maxTs: t, agg }));
    }
    if (this.spec.collect) {
      store.set(entryKey(prefix, RECORD, t, meta.seq++), encodeJson(value));
    }
    const expired = this.#expire(store, prefix, meta, maxExpiredStart);
    this.#delete(store, prefix, maxDeletedStart);
    this.writeMeta(store, prefix, meta);
    updated.reverse();
    return { updated: this.spec.aggregate ? updated : [], expired };
  }

  /** Emits left windows starting in `(meta.mark, upTo]`; `mark` = last expired start. */
  #expire(store: StorePartition, prefix: Uint8Array, meta: KeyMeta, upTo: number): WindowResult[] {
    const from = Number.isFinite(meta.mark) ? meta.mark + 1 : 0;
    const wins = this.#windows(store, prefix, from, upTo);
    if (!wins.length) return [];
    meta.mark = wins[wins.length - 1].start;
    return wins.filter((w) => w.end === w.maxTs).map((w) => this.#closed(store, prefix, w));
  }

  /** Drops windows starting at or before `upTo`, and records before it. */
  #delete(store: StorePartition, prefix: Uint8Array, upTo: number): void {
    if (upTo < 0) return;
    const dead = [
      ...store.scan(entryKey(prefix, WINDOW, 0), entryKey(prefix, WINDOW, upTo + 1)),
      ...store.scan(entryKey(prefix, RECORD, 0), entryKey(prefix, RECORD, upTo)),
    ];
    for (const [k] of dead) store.delete(k);
  }

  closeKey(prefix: Uint8Array, store: StorePartition): WindowResult[] {
    const meta = this.readMeta(store, prefix);
    const all = this.#windows(store, prefix, 0, Number.MAX_SAFE_INTEGER - 1);
    if (!all.length) return [];
    // As if the clock had moved past the last record: every left window closes, and later
    // records count as late exactly as they would then.
    const upTo = Math.max(0, Math.max(...all.map((w) => w.maxTs)) - this.durationMs);
    const out = this.#expire(store, prefix, meta, upTo);
    meta.closedEnd = Math.max(meta.closedEnd, upTo + this.durationMs);
    this.#delete(store, prefix, upTo - this.durationMs);
    this.writeMeta(store, prefix, meta);
    return out;
  }
}
