/**
 * Durable producer-id allocation.
 *
 * Ids are handed out from blocks: before the first id of a block is used, the block's end is
 * written to `<dataDir>/__txn/producer_ids.json` (temp file, fsync, rename). After a restart
 * allocation resumes at the persisted end, so an id is never handed out twice even if the
 * broker crashed mid-block (unused ids of that block are skipped, as Kafka does).
 *
 * @module
 */

/** How many ids one durable reservation covers. */
export const PRODUCER_ID_BLOCK = 1000;

/** Allocates producer ids that are unique across restarts. */
export class ProducerIdAllocator {
  #path: string;
  #next: number;
  #reservedEnd: number;
  #reserving: Promise<void> | null = null;

  private constructor(path: string, next: number) {
    this.#path = path;
    this.#next = next;
    this.#reservedEnd = next;
  }

  /** Loads the last reservation from `<dir>/producer_ids.json`. */
  static async open(dir: string): Promise<ProducerIdAllocator> {
    await Deno.mkdir(dir, { recursive: true });
    const path = `${dir}/producer_ids.json`;
    let next = 0;
    try {
      const text = await Deno.readTextFile(path);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(`${path}: not valid JSON (${JSON.stringify(text.slice(0, 40))})`);
      }
      const end = (parsed as { reservedEnd?: unknown }).reservedEnd;
      if (typeof end !== "number" || !Number.isSafeInteger(end) || end < 0) {
        throw new Error(`${path}: "reservedEnd" must be a non-negative integer`);
      }
      next = end;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    return new ProducerIdAllocator(path, next);
  }

  /** The next id that would be allocated (for tests and logs). */
  get peek(): number {
    return this.#next;
  }

  /** Allocates one id; the reservation covering it is durable when this resolves. */
  async allocate(): Promise<number> {
    while (this.#next >= this.#reservedEnd) {
      if (!this.#reserving) {
        this.#reserving = this.#reserve(this.#reservedEnd + PRODUCER_ID_BLOCK)
          .finally(() => this.#reserving = null);
      }
      await this.#reserving;
    }
    return this.#next++;
  }

  async #reserve(end: number): Promise<void> {
    const tmp = this.#path + ".tmp";
    const f = await Deno.open(tmp, { create: true, write: true, truncate: true });
    try {
      await f.write(new TextEncoder().encode(JSON.stringify({ reservedEnd: end }) + "\n"));
      await f.syncData();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, this.#path);
    this.#reservedEnd = end;
  }
}
