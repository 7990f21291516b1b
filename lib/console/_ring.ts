/**
 * A fixed-size ring of (time, value) points in two Float64Arrays: 16 bytes a point, no
 * allocation per push. The console keeps one per consumer group for its lag history.
 *
 * @module
 */

/** Points oldest first; pushing into a full ring drops the oldest. */
export class PointRing {
  #t: Float64Array;
  #v: Float64Array;
  #start = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#t = new Float64Array(capacity);
    this.#v = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Time of the newest point (-Infinity when empty). */
  get last(): number {
    return this.#size ? this.#t[(this.#start + this.#size - 1) % this.capacity] : -Infinity;
  }

  push(t: number, v: number): void {
    const i = (this.#start + this.#size) % this.capacity;
    this.#t[i] = t;
    this.#v[i] = v;
    if (this.#size < this.capacity) this.#size++;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  /** Drops points older than `t`. */
  dropBefore(t: number): void {
    while (this.#size && this.#t[this.#start] < t) {
      this.#start = (this.#start + 1) % this.capacity;
      this.#size--;
    }
  }

  /** The points after time `after`, oldest first. */
  points(after = -Infinity): { t: number; v: number }[] {
    const out: { t: number; v: number }[] = [];
    for (let k = 0; k < this.#size; k++) {
      const i = (this.#start + k) % this.capacity;
      if (this.#t[i] > after) out.push({ t: this.#t[i], v: this.#v[i] });
    }
    return out;
  }
}
