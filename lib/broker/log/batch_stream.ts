/**
 * Whole stored batches of one segment, read in pieces as a Fetch response is written.
 *
 * A Fetch plans which batches it serves while the log cannot change (see `read_plan.ts`), but
 * reads them only as the client's socket drains, so a client that never reads pins one piece
 * of memory instead of the whole response. The stream holds the segment file open from the
 * plan on ({@link Segment.openReader}): compaction or retention replacing the file meanwhile
 * does not change the bytes it serves.
 *
 * @module
 */
import type { Segment, SegmentReader } from "./segment.ts";

/** One piece read by {@link BatchStream.readInto}. */
export interface Piece {
  /** Bytes read (0: the next batch does not fit; flush and call again with a whole buffer). */
  n: number;
  /** Whether the piece starts at a batch and holds every header in it (for counting). */
  batches: boolean;
}

/** Batches `[first, end)` of a segment, `size` bytes, read front to back. */
export class BatchStream {
  /** No batches. */
  static readonly EMPTY: BatchStream = new BatchStream(null, 0, 0, 0);
  readonly size: number;
  #seg: Segment | null;
  #reader: SegmentReader | null;
  #next: number;
  #end: number;
  /** Bytes of batch `#next` already read, when it is larger than a whole buffer. */
  #within = 0;
  #read = 0;

  constructor(seg: Segment | null, first: number, end: number, size: number) {
    this.#seg = seg;
    this.#next = first;
    this.#end = end;
    this.size = size;
    this.#reader = seg && size > 0 ? seg.openReader() : null;
  }

  /** Whether every byte has been read. */
  get done(): boolean {
    return this.#read >= this.size;
  }

  /**
   * Reads the next piece into the front of `out`: as many whole batches as fit; when even the
   * next batch does not fit, nothing, unless `whole` says `out` is an entire empty buffer:
   * then the batch is read in parts of `out.length` (the first part holds its header).
   */
  readInto(out: Uint8Array, whole: boolean): Piece {
    const r = this.#reader;
    const s = this.#seg;
    if (r === null || s === null || this.done) return { n: 0, batches: true };
    if (this.#within > 0) {
      const n = Math.min(out.length, s.sizeAt(this.#next) - this.#within);
      r.readInto(s.posAt(this.#next) + this.#within, out.subarray(0, n));
      this.#within += n;
      if (this.#within === s.sizeAt(this.#next)) {
        this.#within = 0;
        this.#next++;
      }
      return this.#advance(n, false);
    }
    let run = 0;
    let m = this.#next;
    while (m < this.#end && run + s.sizeAt(m) <= out.length) run += s.sizeAt(m++);
    if (run > 0) {
      r.readInto(s.posAt(this.#next), out.subarray(0, run));
      this.#next = m;
      return this.#advance(run, true);
    }
    if (!whole || out.length === 0) return { n: 0, batches: true };
    r.readInto(s.posAt(this.#next), out);
    this.#within = out.length;
    return this.#advance(out.length, true);
  }

  #advance(n: number, batches: boolean): Piece {
    this.#read += n;
    if (this.done) this.release();
    return { n, batches };
  }

  /** Lets the segment file go (after the last piece, or when the response is dropped). */
  release(): void {
    this.#reader?.release();
    this.#reader = null;
  }
}
