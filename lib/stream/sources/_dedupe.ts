/**
 * Drops repeated (sessionId, messageId) pairs within a time window. A pair counts as seen
 * only once its message is acknowledged by the broker: a retry of a failed produce goes
 * through, and a retry arriving while the first attempt is in flight waits for its outcome.
 *
 * @module
 */

interface Entry {
  at: number;
  /** Settles when the first attempt's produce does; undefined once acknowledged. */
  pending?: Promise<boolean>;
}

/** Outcome of {@link Dedupe.claim}. */
export type Claim =
  | { kind: "new"; done(acked: boolean): void }
  | { kind: "duplicate" }
  | { kind: "inflight"; outcome: Promise<boolean> };

/** A bounded, time-windowed set of message ids. */
export class Dedupe {
  readonly #seen = new Map<string, Entry>();

  constructor(readonly windowMs: number, readonly maxEntries: number) {}

  /** Number of ids remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /** Claims `id`: new (call `done` with the produce's outcome), a duplicate, or in flight. */
  claim(id: string, now = Date.now()): Claim {
    this.#prune(now);
    const entry = this.#seen.get(id);
    if (entry?.pending) return { kind: "inflight", outcome: entry.pending };
    if (entry) return { kind: "duplicate" };
    let settle!: (acked: boolean) => void;
    const fresh: Entry = { at: now, pending: new Promise<boolean>((r) => settle = r) };
    this.#seen.set(id, fresh);
    return {
      kind: "new",
      done: (acked) => {
        if (acked) fresh.pending = undefined;
        else if (this.#seen.get(id) === fresh) this.#seen.delete(id);
        settle(acked);
      },
    };
  }

  #prune(now: number): void {
    // Insertion order is time order: drop from the oldest end.
    for (const [id, e] of this.#seen) {
      if (e.pending || (now - e.at < this.windowMs && this.#seen.size <= this.maxEntries)) break;
      this.#seen.delete(id);
    }
  }
}
