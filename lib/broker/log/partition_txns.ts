/**
 * A partition's transaction state: the ongoing transactions (they hold the last stable offset
 * back), the ones closed by a marker that is not durable yet, and the aborted-transaction
 * index that read_committed fetches are answered with.
 *
 * @module
 */

/** An aborted transaction range in one partition. */
export interface AbortedTxn {
  /** Producer whose transaction was aborted. */
  producerId: number;
  /** Offset of its first batch in this partition. */
  firstOffset: number;
  /** Offset of the ABORT marker. */
  lastOffset: number;
}

/** Transactions of one partition; offsets are the partition's. */
export class PartitionTxns {
  /** producerId → first offset of its ongoing transaction here. */
  readonly #ongoing = new Map<number, number>();
  /**
   * Transactions closed by a marker that is not durable yet: producerId → [first offset,
   * marker offset]. They hold the LSO back until the marker is on disk, so read_committed
   * readers never see a commit that a crash could undo.
   */
  readonly #closing = new Map<number, [number, number]>();
  /** Aborted transactions ordered by marker offset. */
  aborted: AbortedTxn[] = [];

  /** Forgets everything (before a rebuild from the segments). */
  clear(): void {
    this.#ongoing.clear();
    this.#closing.clear();
    this.aborted = [];
  }

  /** Whether the producer has an ongoing transaction here. */
  has(producerId: number): boolean {
    return this.#ongoing.has(producerId);
  }

  /** Records a transactional batch at `offset`: the producer's first one opens its transaction. */
  add(producerId: number, offset: number): void {
    if (!this.#ongoing.has(producerId)) this.#ongoing.set(producerId, offset);
  }

  /**
   * Closes the producer's transaction with a marker at `markerOffset` (an abort enters the
   * index); returns the transaction's first offset, if it had one here.
   */
  close(producerId: number, markerOffset: number, abort: boolean): number | undefined {
    const first = this.#ongoing.get(producerId);
    this.#ongoing.delete(producerId);
    if (abort && first !== undefined) {
      this.aborted.push({ producerId, firstOffset: first, lastOffset: markerOffset });
    }
    return first;
  }

  /** The marker closing a transaction at `first` is not durable yet (see `#closing`). */
  holdUntilDurable(producerId: number, first: number, markerOffset: number): void {
    this.#closing.set(producerId, [first, markerOffset]);
  }

  /** Everything below `upTo` is durable: markers below it stop holding the LSO back. */
  durableUpTo(upTo: number): void {
    for (const [pid, [, marker]] of this.#closing) if (marker < upTo) this.#closing.delete(pid);
  }

  /** First offset of the earliest transaction not durably closed, else `durableEnd`. */
  lastStableOffset(durableEnd: number): number {
    let lso = durableEnd;
    for (const [first] of this.#closing.values()) if (first < lso) lso = first;
    for (const first of this.#ongoing.values()) if (first < lso) lso = first;
    return lso;
  }

  /** Drops aborted transactions that ended below the log start. */
  prune(logStart: number): void {
    if (this.aborted.length && this.aborted[0].lastOffset < logStart) {
      this.aborted = this.aborted.filter((a) => a.lastOffset >= logStart);
    }
  }

  /** Aborted transactions overlapping `[from, end)`, by first offset (read_committed). */
  overlapping(from: number, end: number): { producerId: number; firstOffset: number }[] {
    const out: { producerId: number; firstOffset: number }[] = [];
    // Sorted by marker offset: skip the ones that ended before `from`.
    let k = 0;
    let hi = this.aborted.length;
    while (k < hi) {
      const mid = (k + hi) >>> 1;
      if (this.aborted[mid].lastOffset < from) k = mid + 1;
      else hi = mid;
    }
    for (; k < this.aborted.length; k++) {
      const a = this.aborted[k];
      if (a.firstOffset < end) out.push({ producerId: a.producerId, firstOffset: a.firstOffset });
    }
    return out.sort((a, b) => a.firstOffset - b.firstOffset);
  }
}
