/**
 * Durations for windows: milliseconds as a number, or a string such as `"10s"`, `"500ms"`,
 * `"1m"`, `"1h"` or `"1.5s"`.
 *
 * @module
 */

/**
 * A duration in milliseconds, or a string like `"10s"`, `"500ms"`, `"1m"`, `"2h"`, `"1d"`
 * (decimals allowed: `"1.5s"`). Invalid strings throw a `RangeError` naming the parameter.
 *
 * @example A 1.5 s window with a 500 ms grace period
 * ```ts
 * import { type Duration, TestApp } from "@sa/toolkit";
 *
 * const size: Duration = "1.5s"; // same as 1500
 * const grace: Duration = 500; // ms
 * const app = new TestApp();
 * app.dataframe(app.topic<number>("values")).tumblingWindow(size, grace).sum().final();
 * ```
 */
export type Duration = number | string;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Converts a {@link Duration} to whole milliseconds (rounded, like Quix rounds timedeltas).
 * Throws naming `what` when the value is not a finite non-negative duration.
 */
export function toMillis(value: Duration, what = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${what}: expected a non-negative number of ms, got ${value}`);
    }
    return Math.round(value);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!m) {
    throw new RangeError(
      `${what}: cannot parse "${value}"; use ms as a number or a string like "500ms", "10s", "1m", "2h"`,
    );
  }
  return Math.round(Number(m[1]) * UNITS[m[2]]);
}

/** Like {@link toMillis} but also rejects zero (window durations, steps, timeouts). */
export function toPositiveMillis(value: Duration, what: string): number {
  const ms = toMillis(value, what);
  if (ms <= 0) {
    throw new RangeError(`${what}: must be greater than 0 ms, got ${JSON.stringify(value)}`);
  }
  return ms;
}
