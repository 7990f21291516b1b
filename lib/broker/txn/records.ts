/**
 * A transactional id's state, in memory and as a line of the transaction journal
 * (`__txn/transactions.jsonl`), and how a line read back is checked before it is replayed.
 *
 * @module
 */
import type { OffsetEntry } from "../groups/coordinator.ts";
import type { TimerHandle } from "../groups/timers.ts";

/** The states of one transactional id. */
export type TxnState =
  | "Empty"
  | "Ongoing"
  | "PrepareCommit"
  | "PrepareAbort"
  | "CompleteCommit"
  | "CompleteAbort";

/** One transactional id and its open transaction, in memory. */
export interface Txn {
  id: string;
  producerId: number;
  epoch: number;
  timeoutMs: number;
  state: TxnState;
  /** "topic\0partition" keys. */
  partitions: Set<string>;
  groups: Set<string>;
  startedAt: number;
  timer: TimerHandle | null;
  /** Offsets being committed, only while PrepareCommit. */
  offsets: Record<string, OffsetEntry[]> | null;
}

/** One journal line: the whole state of a transactional id. */
export interface TxnRecord {
  id: string;
  pid: number;
  epoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: [string, number][];
  groups: string[];
  offsets?: Record<string, OffsetEntry[]>;
}

const STATES = new Set<string>([
  "Empty",
  "Ongoing",
  "PrepareCommit",
  "PrepareAbort",
  "CompleteCommit",
  "CompleteAbort",
]);

/** Null when `r` is a well-formed record, else what is wrong with it. */
export function validTxnRecord(r: unknown): string | null {
  const o = r as Record<string, unknown>;
  if (typeof o !== "object" || o === null || typeof o.id !== "string") {
    return "not a transaction record (no id)";
  }
  const int = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v);
  if (!int(o.pid) || !int(o.epoch) || !int(o.timeoutMs)) {
    return `transaction ${o.id}: pid, epoch and timeoutMs must be integers`;
  }
  if (typeof o.state !== "string" || !STATES.has(o.state)) {
    return `transaction ${o.id}: unknown state ${JSON.stringify(o.state)}`;
  }
  const parts = o.partitions;
  if (
    !Array.isArray(parts) ||
    !parts.every((p) => Array.isArray(p) && typeof p[0] === "string" && int(p[1]))
  ) {
    return `transaction ${o.id}: partitions must be [topic, partition] pairs`;
  }
  if (!Array.isArray(o.groups) || !o.groups.every((g) => typeof g === "string")) {
    return `transaction ${o.id}: groups must be strings`;
  }
  return null;
}

/** The set key of a partition. */
export const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;
/** The partition of a {@link key}. */
export const unkey = (k: string): [string, number] => {
  const i = k.lastIndexOf("\u0000");
  return [k.slice(0, i), Number(k.slice(i + 1))];
};
