/**
 * The records of the committed-offsets journal (`__groups/offsets.jsonl`): one JSON line per
 * committed offset, deleted group, deleted partition offset or group protocol type, and how a
 * line read back is checked before it is replayed.
 *
 * @module
 */

/** One journal line. */
export type OffsetRecord =
  | { g: string; t: string; p: number; o: number; m: string; ts: number; le?: number }
  | { g: string; del: true }
  | { g: string; t: string; p: number; del: true }
  | { g: string; pt: string };

/** Whether a decoded JSON value is a safe integer. */
const isInt = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v);

/** Null when `r` is a well-formed record, else what is wrong with it. */
export function validOffsetRecord(r: unknown): string | null {
  const o = r as Record<string, unknown>;
  if (typeof o !== "object" || o === null || typeof o.g !== "string") {
    return "not an offsets record (no group id)";
  }
  if ("del" in o) return o.del === true ? null : `"del" must be true`;
  if ("pt" in o) return typeof o.pt === "string" ? null : `"pt" must be a string`;
  if (typeof o.t !== "string" || !isInt(o.p) || !isInt(o.o) || !isInt(o.ts)) {
    return "offset record needs string t and integer p, o, ts";
  }
  if ("le" in o && !isInt(o.le)) return `"le" must be an integer`;
  return typeof o.m === "string" ? null : `"m" must be a string`;
}

/** A committed offset as kept in memory. */
export interface Stored {
  offset: number;
  metadata: string;
  leaderEpoch: number;
  ts: number;
}

/** The map key of a partition. */
export const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** A journal record of one committed offset (`le` only when a leader epoch was committed). */
export function offsetRecord(
  g: string,
  t: string,
  p: number,
  o: number,
  m: string,
  le: number,
  ts: number,
): OffsetRecord {
  return le >= 0 ? { g, t, p, o, m, ts, le } : { g, t, p, o, m, ts };
}
