/**
 * Tumbling and hopping count windows with Quix Streams' semantics (`windows/count_based.py`):
 * per key, a window holds `count` records; a hopping window opens a new window every `step`
 * records. The result's `start`/`end` are the smallest/largest timestamps in the window, and a
 * window is emitted by `.final()` as soon as it is full. There is no lateness.
 *
 * @module
 */

import type { StorePartition } from "../state/types.ts";
import { decodeJson, encodeJson, entryKey, WINDOW } from "./_keys.ts";
import type { AggSpec, WindowResult, WindowState } from "./_spec.ts";
import {
  type ProcessResult,
  type WindowContext,
  type WindowOptions,
  WindowProcessor,
} from "./window.ts";

interface CountState {
  n: number;
  s: number;
  e: number;
  st: WindowState;
}

/** A tumbling (no step) or hopping count window. */
export class CountWindow extends WindowProcessor {
  constructor(
    name: string,
    spec: AggSpec,
    readonly count: number,
    readonly step?: number,
    options: WindowOptions = {},
  ) {
    super(name, spec, options);
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`${name}: count must be a positive integer, got ${count}`);
    }
    if (step !== undefined && (!Number.isInteger(step) || step < 1 || step > count)) {
      throw new RangeError(`${name}: step must be an integer in [1, count], got ${step}`);
    }
  }

  override get supportsIdleClose(): boolean {
    return false;
  }

  process(
    value: unknown,
    _key: unknown,
    prefix: Uint8Array,
    timestampMs: number,
    ctx: WindowContext,
  ): ProcessResult {
    const store = ctx.store;
    const k = entryKey(prefix, WINDOW);
    const raw = store.get(k);
    const windows: CountState[] = raw ? decodeJson<CountState[]>(raw) : [];
    const fresh = (): CountState => ({
      n: 0,
      s: timestampMs,
      e: timestampMs,
      st: this.spec.initialize(),
    });
    if (windows.length === 0) windows.push(fresh());
    else if (this.step !== undefined && windows[0].n % this.step === 0) windows.push(fresh());

    const updated: WindowResult[] = [];
    const expired: WindowResult[] = [];
    const keep: CountState[] = [];
    for (const w of windows) {
      w.n++;
      if (timestampMs < w.s) w.s = timestampMs;
      else if (timestampMs > w.e) w.e = timestampMs;
      this.spec.add(w.st, value, timestampMs);
      const result = this.spec.results(w.st, w.s, w.e);
      if (this.spec.aggregate) updated.push(result);
      if (w.n >= this.count) expired.push(result);
      else keep.push(w);
    }
    if (keep.length) store.set(k, encodeJson(keep));
    else store.delete(k);
    return { updated, expired };
  }

  closeKey(_prefix: Uint8Array, _store: StorePartition): WindowResult[] {
    return [];
  }
}
