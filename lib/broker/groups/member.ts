/**
 * One member of a classic group: its protocols (assignors), timeouts, assignment, parked
 * JoinGroup/SyncGroup answers and session timer.
 *
 * @module
 */
import type { TimerHandle } from "./timers.ts";
import type { GroupProtocol, JoinRequest, JoinResult, SyncResult } from "./messages.ts";

/** The empty assignment or metadata. */
export const EMPTY = new Uint8Array(0);

/** A group member; see the module doc. */
export class Member {
  #protocols: GroupProtocol[] = [];
  /** Protocol name → metadata (the first of a repeated name, as a linear search finds). */
  #byName = new Map<string, Uint8Array>();
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  assignment: Uint8Array = EMPTY;
  joinWaiter: ((r: JoinResult) => void) | null = null;
  syncWaiter: ((r: SyncResult) => void) | null = null;
  sessionTimer: TimerHandle | null = null;
  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    req: JoinRequest,
  ) {
    this.protocols = req.protocols;
    this.sessionTimeoutMs = req.sessionTimeoutMs;
    this.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  }
  get protocols(): GroupProtocol[] {
    return this.#protocols;
  }
  /** Lookups by name are what JoinGroup does per protocol: a map keeps them O(1). */
  set protocols(list: GroupProtocol[]) {
    this.#protocols = list;
    this.#byName = new Map();
    for (const p of list) if (!this.#byName.has(p.name)) this.#byName.set(p.name, p.metadata);
  }
  supports(protocol: string): boolean {
    return this.#byName.has(protocol);
  }
  metadataFor(protocol: string | null): Uint8Array {
    return (protocol !== null && this.#byName.get(protocol)) || EMPTY;
  }
}

/** Whether two protocol lists are equal, names and metadata, in order. */
export function sameProtocols(a: GroupProtocol[], b: GroupProtocol[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i].name !== b[i].name) return false;
    const x = a[i].metadata, y = b[i].metadata;
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}
