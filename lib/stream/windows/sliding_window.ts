/**
 * Sliding time windows with Quix Streams' semantics (`windows/sliding.py`): every record at
 * `t` defines the window `[max(0, t - duration), t]`, inclusive at both ends, aggregating all
 * records of its key in that range. A window closes when `latest - grace > t`; records whose
 * timestamp is `<= latest - grace - 1 - duration` are late and dropped.
 *
 * Instead of Quix's left/right window bookkeeping, the store keeps the raw records still
 * needed by an open window and folds them (in arrival order) when a window is emitted; the
 * emitted windows are the same. One edge case differs: a record that is not late but whose
 * own window is already closed still counts in later windows, and its own window is reported
 * through `onLate` instead of being emitted.
 *
 * @module
 */

import type { StorePartition } from "../state/types.ts";
import { decodeJson, encodeJson, entryKey, readNum, RECORD } from "./_keys.ts";
import type { AggSpec, WindowResult } from "./_spec.ts";
import {
  type KeyMeta,
  type ProcessResult,
  type WindowContext,
  type WindowOptions,
  WindowProcessor,
} from "./window.ts";

interface Rec {
  ts: number;
  seq: number;
  value: unknown;
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

  #records(store: StorePartition, prefix: Uint8Array, from: number, to: number): Rec[] {
    const out: Rec[] = [];
    if (to < from) return out;
    const lo = entryKey(prefix, RECORD, Math.max(0, from));
    const hi = entryKey(prefix, RECORD, to + 1);
    for (const [k, v] of store.scan(lo, hi)) {
      out.push({
        ts: readNum(k, prefix.length, 0),
        seq: readNum(k, prefix.length, 1),
        value: decodeJson(v),
      });
    }
    return out;
  }

  /** The window ending at `t`, folded from `recs` (sorted by timestamp). */
  #window(recs: Rec[], t: number): WindowResult {
    const start = Math.max(0, t - this.durationMs);
    const inside = recs.filter((r) => r.ts >= start && r.ts <= t).sort((a, b) => a.seq - b.seq);
    let state = this.spec.initialize();
    for (const r of inside) state = this.spec.add(state, r.value, r.ts);
    return this.spec.results(state, start, t);
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
    const meta = this.readMeta(store, prefix);
    const latest = Math.max(timestampMs, meta.latest);
    const maxExpiredEnd = Math.max(latest - this.graceMs - 1, meta.closedEnd, meta.mark);
    const maxExpiredStart = maxExpiredEnd - d;
    const leftStart = Math.max(0, timestampMs - d);
    if (timestampMs <= maxExpiredStart) {
      this.late(
        value,
        key,
        timestampMs,
        maxExpiredEnd + 1 - timestampMs,
        leftStart,
        timestampMs,
        ctx,
      );
      return { updated: [], expired: [] };
    }
    store.set(entryKey(prefix, RECORD, timestampMs, meta.seq), encodeJson(value));
    const recs = this.#records(store, prefix, timestampMs - d, timestampMs + d);
    meta.seq++;
    meta.latest = latest;

    // Windows this record falls into: its own, then those of later records within `d`.
    const ends = [timestampMs];
    for (const r of recs) if (r.ts > timestampMs && r.ts !== ends[ends.length - 1]) ends.push(r.ts);
    const updated: WindowResult[] = [];
    for (const t of ends) {
      if (t <= maxExpiredEnd) {
        this.late(
          value,
          key,
          timestampMs,
          maxExpiredEnd + 1 - timestampMs,
          Math.max(0, t - d),
          t,
          ctx,
        );
      } else if (this.spec.aggregate) {
        updated.push(this.#window(recs, t));
      }
    }
    const expired = this.#expire(store, prefix, meta, maxExpiredEnd);
    this.writeMeta(store, prefix, meta);
    return { updated, expired };
  }

  /** Emits windows ending in `(meta.mark, upTo]`, then drops records no window needs. */
  #expire(store: StorePartition, prefix: Uint8Array, meta: KeyMeta, upTo: number): WindowResult[] {
    const out: WindowResult[] = [];
    if (upTo > meta.mark) {
      const firstEnd = Number.isFinite(meta.mark) ? meta.mark + 1 : 0;
      const recs = this.#records(store, prefix, firstEnd - this.durationMs, upTo);
      let last = -1;
      for (const r of recs) {
        if (r.ts >= firstEnd && r.ts !== last) {
          out.push(this.#window(recs, r.ts));
          last = r.ts;
        }
      }
      meta.mark = upTo;
    }
    const dropBefore = upTo - this.durationMs; // records at or before this are in no open window
    if (dropBefore >= 0) {
      const dead = [
        ...store.scan(entryKey(prefix, RECORD, 0), entryKey(prefix, RECORD, dropBefore + 1)),
      ];
      for (const [k] of dead) store.delete(k);
    }
    return out;
  }

  closeKey(prefix: Uint8Array, store: StorePartition): WindowResult[] {
    const meta = this.readMeta(store, prefix);
    const recs = this.#records(store, prefix, 0, Number.MAX_SAFE_INTEGER - 1);
    if (!recs.length) return [];
    const upTo = recs[recs.length - 1].ts;
    if (upTo <= meta.mark) return [];
    const out = this.#expire(store, prefix, meta, upTo);
    meta.closedEnd = Math.max(meta.closedEnd, upTo);
    this.writeMeta(store, prefix, meta);
    return out;
  }
}
