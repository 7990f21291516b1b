/**
 * Telling a second Ctrl+C from the echo of the first.
 *
 * A terminal's Ctrl+C sends SIGINT to the whole foreground process group, and `deno task`
 * (and `npx`) also forward the signal to their child. One keystroke thus reaches `sa` two or
 * three times within milliseconds. "Press Ctrl+C again to force" must only count a press that
 * comes after that burst, or the graceful stop (final commit) is skipped every time.
 *
 * @module
 */

/** Signals within this many ms of the first count as the same keystroke. */
export const SIGNAL_ECHO_MS = 1000;

/** Counts interrupts, ignoring the echoes of a keystroke. */
export class InterruptTracker {
  #firstAt = -Infinity;
  #count = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /**
   * Records one signal and says what it means: `"first"` (stop gracefully), `"echo"` (the same
   * keystroke arriving again: ignore) or `"repeat"` (a deliberate second press: stop now).
   */
  hit(): "first" | "echo" | "repeat" {
    const t = this.now();
    if (this.#count++ === 0) {
      this.#firstAt = t;
      return "first";
    }
    return t - this.#firstAt < SIGNAL_ECHO_MS ? "echo" : "repeat";
  }

  /** Marks the first interrupt as received at `at` (when it arrived through another path). */
  markFirst(at: number = this.now()): void {
    if (this.#count === 0) {
      this.#count = 1;
      this.#firstAt = at;
    }
  }
}
