/**
 * A clock plus one-shot timers, injected into the coordinators so unit tests can drive
 * session, rebalance and transaction timeouts with a fake clock instead of sleeping.
 *
 * @module
 */

/** Opaque handle returned by {@link Timers.set}. */
export type TimerHandle = number;

/** The time source and one-shot timers the coordinators use. */
export interface Timers {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds. */
  set(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clear(handle: TimerHandle): void;
}

/** Real timers backed by `setTimeout`, with an optional clock override. */
export function realTimers(now: () => number = Date.now): Timers {
  return {
    now,
    // Deno returns a number; the cast only silences the @types/node overload.
    set: (fn, ms) => setTimeout(fn, Math.max(0, ms)) as unknown as number,
    clear: (h) => clearTimeout(h),
  };
}

/**
 * A manual clock for tests: timers fire only when {@link ManualTimers.advance} moves time
 * past their deadline, in deadline order.
 */
export class ManualTimers implements Timers {
  #now: number;
  #next = 1;
  #pending = new Map<TimerHandle, { at: number; fn: () => void }>();

  constructor(start = 1_000_000) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  set(fn: () => void, ms: number): TimerHandle {
    const h = this.#next++;
    this.#pending.set(h, { at: this.#now + Math.max(0, ms), fn });
    return h;
  }
  clear(handle: TimerHandle): void {
    this.#pending.delete(handle);
  }
  /** Number of timers not yet fired or cleared. */
  get pending(): number {
    return this.#pending.size;
  }
  /** Moves the clock forward, firing due timers one at a time (each may schedule more). */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let due: [TimerHandle, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#pending) {
        if (entry[1].at <= target && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.#pending.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = target;
  }
}
