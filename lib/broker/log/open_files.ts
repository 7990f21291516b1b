/**
 * A process-wide cap on open segment files, as Kafka bounds its index handles: a segment
 * opens its file on use and the least recently used ones are closed past the cap, so 10,000
 * topics fit under the default limit of 1024 file descriptors with room for connections.
 *
 * @module
 */

/** Default of {@link openSegmentFiles}' cap: with 512 connections, under 1024 descriptors. */
export const DEFAULT_MAX_OPEN_SEGMENT_FILES = 256;

/** Something holding a file it can close and later reopen. */
export interface Reopenable {
  /** Closes the file; false when it is in use (an fdatasync on a worker thread) and stays open. */
  closeHandle(): boolean;
}

/** Least-recently-used set of open files; see the module doc. */
export class OpenFiles {
  #max: number;
  #lru = new Set<Reopenable>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The cap. */
  get max(): number {
    return this.#max;
  }

  set max(n: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`max open files ${n} must be >= 1`);
    this.#max = n;
  }

  /** Files open now. */
  get size(): number {
    return this.#lru.size;
  }

  /** Marks `f` as just used (and open); closes the least recently used ones past the cap. */
  touch(f: Reopenable): void {
    this.#lru.delete(f);
    this.#lru.add(f);
    if (this.#lru.size <= this.#max) return;
    for (const old of this.#lru) {
      if (this.#lru.size <= this.#max || old === f) break;
      if (old.closeHandle()) this.#lru.delete(old);
    }
  }

  /** `f` closed its file itself. */
  forget(f: Reopenable): void {
    this.#lru.delete(f);
  }
}

/** The segments' shared cap (`sa broker --max-open-segment-files`). */
export const openSegmentFiles: OpenFiles = new OpenFiles(DEFAULT_MAX_OPEN_SEGMENT_FILES);
