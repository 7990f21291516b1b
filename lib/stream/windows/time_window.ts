/**
 * Tumbling and hopping time windows with Quix Streams' semantics
 * (`windows/time_based.py`): epoch-aligned half-open `[start, end)` windows, a per-key
 * event-time clock, closing when `latest - grace >= end`, late records dropped.
 *
 * @module
 */

import type { StorePartition } from "../state/types.ts";
import { decodeJson, encodeJson, entryKey, kindRange, readNum, WINDOW } from "./_keys.ts";
import type { AggSpec, WindowResult, WindowState } from "./_spec.ts";
import {
  type ProcessResult,
  type WindowContext,
  type WindowOptions,
  WindowProcessor,
} from "./window.ts";

/**
 * The `[start, end)` windows containing `timestampMs`, oldest first; only non-negative starts
 * (Quix's `get_window_ranges`).
 */
export function windowRanges(
  timestampMs: number,
  durationMs: number,
  stepMs: number = durationMs,
): [number, number][] {
  const out: [number, number][] = [];
  let start = timestampMs - (timestampMs % stepMs);
  while (start > timestampMs - durationMs && start >= 0) {
    out.unshift([start, start + durationMs]);
    start -= stepMs;
  }
  return out;
}

/** A tumbling (`step = duration`) or hopping time window. */
export class TimeWindow extends WindowProcessor {
  constructor(
    name: string,
    spec: AggSpec,
    readonly durationMs: number,
    readonly graceMs: number,
    readonly stepMs: number = durationMs,
    options: WindowOptions = {},
  ) {
    super(name, spec, options);
    if (stepMs > durationMs) {
      throw new RangeError(
        `${name}: step (${stepMs} ms) must not exceed duration (${durationMs} ms)`,
      );
    }
  }

  process(
    value: unknown,
    key: unknown,
    prefix: Uint8Array,
    timestampMs: number,
    ctx: WindowContext,
  ): ProcessResult {
    const store = ctx.store;
    const meta = this.readMeta(store, prefix);
    const latest = Math.max(timestampMs, meta.latest);
    const maxExpiredEnd = Math.max(latest - this.graceMs, meta.closedEnd);
    const maxExpiredStart = maxExpiredEnd - this.durationMs;
    const updated: WindowResult[] = [];
    let touched = false;
    for (const [start, end] of windowRanges(timestampMs, this.durationMs, this.stepMs)) {
      if (start <= maxExpiredStart) {
        this.late(value, key, timestampMs, maxExpiredEnd - timestampMs, start, end, ctx);
        continue;
      }
      const wk = entryKey(prefix, WINDOW, start, end);
      const raw = store.get(wk);
      const state = this.spec.add(
        raw ? decodeJson<WindowState>(raw) : this.spec.initialize(),
        value,
        timestampMs,
      );
      store.set(wk, encodeJson(state));
      touched = true;
      if (this.spec.aggregate) updated.push(this.spec.results(state, start, end));
    }
    let metaChanged = false;
    if (touched && latest !== meta.latest) {
      meta.latest = latest;
      metaChanged = true;
    }
    // meta.mark: the smallest start a not-yet-expired window can have (a lower bound), so the
    // store is only scanned when some window may actually close.
    let expired: WindowResult[] = [];
    if (maxExpiredStart >= meta.mark) {
      expired = this.#expire(store, prefix, maxExpiredStart);
      const next = maxExpiredStart < 0
        ? 0
        : maxExpiredStart - (maxExpiredStart % this.stepMs) + this.stepMs;
      if (next !== meta.mark) {
        meta.mark = next;
        metaChanged = true;
      }
    }
    if (metaChanged) this.writeMeta(store, prefix, meta);
    return { updated, expired };
  }

  /** Emits and deletes the key's windows with `start <= maxStart`, oldest first. */
  #expire(store: StorePartition, prefix: Uint8Array, maxStart: number): WindowResult[] {
    const [from] = kindRange(prefix, WINDOW);
    if (maxStart < 0) return [];
    const to = entryKey(prefix, WINDOW, maxStart + 1);
    const out: WindowResult[] = [];
    const dead: Uint8Array[] = [];
    for (const [k, v] of store.scan(from, to)) {
      const start = readNum(k, prefix.length, 0);
      const end = readNum(k, prefix.length, 1);
      out.push(this.spec.results(decodeJson<WindowState>(v), start, end));
      dead.push(k);
    }
    for (const k of dead) store.delete(k);
    return out;
  }

  closeKey(prefix: Uint8Array, store: StorePartition): WindowResult[] {
    const [from, to] = kindRange(prefix, WINDOW);
    const out: WindowResult[] = [];
    const dead: Uint8Array[] = [];
    let maxEnd = -Infinity;
    for (const [k, v] of store.scan(from, to)) {
      const start = readNum(k, prefix.length, 0);
      const end = readNum(k, prefix.length, 1);
      out.push(this.spec.results(decodeJson<WindowState>(v), start, end));
      dead.push(k);
      maxEnd = Math.max(maxEnd, end);
    }
    for (const k of dead) store.delete(k);
    if (out.length) {
      const meta = this.readMeta(store, prefix);
      meta.closedEnd = Math.max(meta.closedEnd, maxEnd);
      this.writeMeta(store, prefix, meta);
    }
    return out;
  }
}
