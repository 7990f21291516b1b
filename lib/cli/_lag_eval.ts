/**
 * Consumer lag status from a history of samples, in the way Burrow evaluates it: judge the
 * trend over a window, not one snapshot. Kafka does not expose commit times, so `sa lag`
 * samples (committed offset, end offset) several times and uses the group's membership to
 * tell a consumer that is gone (STOP) from one that is stuck (STALL).
 *
 * Rules, per partition, first match wins:
 *  1. ERR   the committed offset went backwards, or is past the end offset.
 *  2. OK    some sample has lag 0 (the consumer caught up within the window).
 *  3. STOP  lag > 0 and the group has no active members: nothing will consume it.
 *  4. STALL lag > 0, members are present, and the committed offset never moved.
 *  5. WARN  the committed offset moved, but lag never went down between samples
 *           (fixed or growing: the consumer is falling behind).
 *  6. OK    otherwise (lag is shrinking at least sometimes).
 * A group's status is its worst partition's (ERR > STOP > STALL > WARN > OK).
 *
 * @module
 */

/** A partition status. */
export type LagStatus = "OK" | "WARN" | "STALL" | "STOP" | "ERR";

/** Severity order, lowest first. */
export const STATUS_ORDER: readonly LagStatus[] = ["OK", "WARN", "STALL", "STOP", "ERR"];

/** One observation of a partition. `committed` is -1 when the group has no commit. */
export interface LagSample {
  committed: number;
  end: number;
}

/** Lag of a sample; a partition without a commit lags by its whole content (end - 0). */
export function lagOf(s: LagSample): number {
  return s.committed < 0 ? s.end : s.end - s.committed;
}

/** Evaluates one partition's samples (oldest first) given whether the group has members. */
export function evaluatePartition(samples: readonly LagSample[], hasMembers: boolean): {
  status: LagStatus;
  reason: string;
} {
  if (samples.length === 0) return { status: "ERR", reason: "no samples" };
  for (let i = 1; i < samples.length; i++) {
    if (samples[i - 1].committed >= 0 && samples[i].committed < samples[i - 1].committed) {
      return { status: "ERR", reason: "committed offset went backwards" };
    }
  }
  const last = samples[samples.length - 1];
  if (last.committed > last.end) {
    return { status: "ERR", reason: "committed offset is past the end" };
  }
  if (samples.some((s) => lagOf(s) === 0)) return { status: "OK", reason: "caught up" };
  if (!hasMembers) return { status: "STOP", reason: "lagging with no active consumer" };
  if (samples.length < 2) return { status: "OK", reason: "one sample: no trend" };
  const moved = samples.some((s) => s.committed !== samples[0].committed);
  if (!moved) return { status: "STALL", reason: "consumer present but its offset is not moving" };
  let decreased = false;
  for (let i = 1; i < samples.length; i++) {
    if (lagOf(samples[i]) < lagOf(samples[i - 1])) decreased = true;
  }
  if (!decreased) return { status: "WARN", reason: "lag is not going down" };
  return { status: "OK", reason: "lag is going down" };
}

/** The worst of several statuses (OK when empty). */
export function worst(statuses: Iterable<LagStatus>): LagStatus {
  let w: LagStatus = "OK";
  for (const s of statuses) if (STATUS_ORDER.indexOf(s) > STATUS_ORDER.indexOf(w)) w = s;
  return w;
}
