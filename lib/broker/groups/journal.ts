/**
 * A durable append-only journal of JSON records, one per line, used for committed group
 * offsets and transaction state.
 *
 * Appends issued while a write is in flight are coalesced into the next write, so many
 * concurrent commits share one fdatasync. On open, the journal is replayed; a torn or
 * unparsable tail (a crash mid-write) is truncated to the last complete record and the
 * truncation is logged. A write that fails (a full disk) is rejected and cut back to the last
 * acknowledged record before anything else is appended, so later records never sit behind a
 * torn one; writes resume by themselves once space is freed. {@link Journal.rewrite} replaces
 * the file atomically (temp file, fsync, rename) with a compacted snapshot.
 *
 * @module
 */
import type { Logger } from "../../util/log.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** When appended records reach the disk. */
export type JournalSync = "always" | "interval" | "never";

/** How often "interval" mode syncs written records. */
export const JOURNAL_SYNC_INTERVAL_MS = 1000;

/** Options for {@link Journal.open}. */
export interface JournalOptions<R> {
  path: string;
  logger: Logger;
  /** Called for every valid record found on open, in file order. */
  replay: (record: R) => void;
  /**
   * Checks a parsed record's shape; a returned message means the record is skipped and logged
   * with its line number (it is valid JSON, so later records are still trusted).
   */
  validate?: (record: unknown) => string | null;
  /**
   * "always": fdatasync before an append resolves (default); "interval": a background
   * fdatasync every {@link JOURNAL_SYNC_INTERVAL_MS}; "never": only on close.
   */
  sync?: JournalSync;
}

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** A JSON-lines journal file; see the module doc. */
export class Journal<R> {
  readonly path: string;
  #file: Deno.FsFile;
  #logger: Logger;
  #sync: JournalSync;
  #queued: string[] = [];
  #waiters: Waiter[] = [];
  #writing: Promise<void> | null = null;
  #closed = false;
  #paused = false;
  #dirty = false;
  #syncTimer: number | null = null;
  /** Bytes of complete, acknowledged records in the file: a failed write is cut back to it. */
  #size = 0;
  /** A failed write could not be cut back yet; the next write first retries the cut. */
  #torn = false;
  /** During a rewrite: records written to the old file after the snapshot was taken. */
  #carry: string[] | null = null;
  /** Records in the file (after replay plus appends), to decide when to compact. */
  records = 0;

  private constructor(path: string, file: Deno.FsFile, logger: Logger, sync: JournalSync) {
    this.path = path;
    this.#file = file;
    this.#logger = logger;
    this.#sync = sync;
    if (sync === "interval") {
      this.#syncTimer = setInterval(() => {
        if (!this.#dirty || this.#writing || this.#paused) return;
        this.#dirty = false;
        this.#file.syncData().catch((e) =>
          this.#logger.error(`${this.path}: fdatasync failed: ${(e as Error).message}`)
        );
      }, JOURNAL_SYNC_INTERVAL_MS) as unknown as number;
    }
  }

  /** Opens (creating if needed) and replays the journal at `opts.path`. */
  static async open<R>(opts: JournalOptions<R>): Promise<Journal<R>> {
    const dir = opts.path.slice(0, Math.max(0, opts.path.lastIndexOf("/")));
    if (dir) await Deno.mkdir(dir, { recursive: true });
    // A leftover temp file means a crash during rewrite before rename: the old file is intact.
    await Deno.remove(opts.path + ".tmp").catch(() => {});
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(opts.path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
      bytes = new Uint8Array(0);
    }
    let good = 0;
    let count = 0;
    let lineNo = 0;
    while (good < bytes.length) {
      const nl = bytes.indexOf(10, good);
      lineNo++;
      if (nl < 0) {
        opts.logger.warn(
          `${opts.path}:${lineNo}: torn record at byte ${good} (no newline), truncating ${
            bytes.length - good
          } bytes`,
        );
        break;
      }
      let rec: R;
      try {
        rec = JSON.parse(decoder.decode(bytes.subarray(good, nl)));
      } catch {
        opts.logger.warn(
          `${opts.path}:${lineNo}: unparsable record at byte ${good}, truncating ${
            bytes.length - good
          } bytes`,
        );
        break;
      }
      const problem = opts.validate?.(rec) ?? null;
      if (problem !== null) {
        opts.logger.warn(`${opts.path}:${lineNo}: ${problem}, record skipped`);
      } else {
        opts.replay(rec);
      }
      count++;
      good = nl + 1;
    }
    const file = await Deno.open(opts.path, { create: true, read: true, write: true });
    if (good < bytes.length) {
      await file.truncate(good);
      await file.syncData();
    }
    await file.seek(good, Deno.SeekMode.Start);
    const j = new Journal<R>(opts.path, file, opts.logger, opts.sync ?? "always");
    j.records = count;
    j.#size = good;
    return j;
  }

  /** Appends records; resolves once they are written (and synced, in "always" mode). */
  append(records: readonly R[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error(`journal ${this.path} is closed`));
    if (records.length === 0) return Promise.resolve();
    for (const r of records) this.#queued.push(JSON.stringify(r) + "\n");
    this.records += records.length;
    const p = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#writing && !this.#paused) this.#writing = this.#drain();
    return p;
  }

  async #drain(): Promise<void> {
    while (this.#queued.length > 0 && !this.#paused) {
      const text = this.#queued.join("");
      const chunk = encoder.encode(text);
      const waiters = this.#waiters;
      this.#queued = [];
      this.#waiters = [];
      try {
        // Never append after a torn write: replay would stop at the tear and drop what follows.
        if (this.#torn) await this.#cutBack();
        let off = 0;
        while (off < chunk.length) off += await this.#file.write(chunk.subarray(off));
        if (this.#sync === "always") await this.#file.syncData();
        else this.#dirty = true;
        this.#size += chunk.length;
        this.#carry?.push(text);
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.#logger.error(`${this.path}: write failed: ${(e as Error).message}`);
        this.records -= this.#lines(chunk);
        this.#torn = true;
        await this.#cutBack().catch((e2) =>
          this.#logger.error(
            `${this.path}: cannot cut the failed write back to byte ${this.#size} yet: ${
              (e2 as Error).message
            }`,
          )
        );
        for (const w of waiters) w.reject(e);
      }
    }
    this.#writing = null;
  }

  #lines(chunk: Uint8Array): number {
    let n = 0;
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n++;
    return n;
  }

  /** Truncates the file to the last acknowledged record (shrinking needs no free space). */
  async #cutBack(): Promise<void> {
    await this.#file.truncate(this.#size);
    await this.#file.seek(this.#size, Deno.SeekMode.Start);
    this.#torn = false;
  }

  /** Waits for every queued append to finish. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /**
   * Atomically replaces the journal with `snapshot` (compaction). The snapshot must reflect
   * every append that resolved before this call (replay keeps the last record of a key).
   * Appends still being written go into the new file after the snapshot, and appends made
   * during the rewrite are held back and written to the new file afterwards.
   */
  async rewrite(snapshot: readonly R[]): Promise<void> {
    this.#paused = true;
    this.#carry = [];
    try {
      if (this.#writing) await this.#writing;
      const tmp = this.path + ".tmp";
      const data = encoder.encode(
        snapshot.map((r) => JSON.stringify(r) + "\n").join("") + this.#carry.join(""),
      );
      const f = await Deno.open(tmp, { create: true, write: true, truncate: true });
      try {
        let off = 0;
        while (off < data.length) off += await f.write(data.subarray(off));
        await f.syncData();
      } catch (e) {
        // A full disk: the old file stays in use, the partial snapshot goes.
        f.close();
        await Deno.remove(tmp).catch(() => {});
        throw e;
      }
      f.close();
      // Open the new file before closing the old one, so a failure leaves the journal usable.
      const next = await Deno.open(tmp, { read: true, write: true });
      try {
        await Deno.rename(tmp, this.path);
      } catch (e) {
        next.close();
        throw e;
      }
      this.#file.close();
      this.#file = next;
      await this.#file.seek(0, Deno.SeekMode.End);
      this.#size = data.length;
      this.#torn = false;
      this.records = snapshot.length + this.#lines(encoder.encode(this.#carry.join(""))) +
        this.#queued.length;
    } finally {
      this.#carry = null;
      this.#paused = false;
      if (this.#queued.length > 0 && !this.#writing) this.#writing = this.#drain();
    }
  }

  /** Flushes, syncs and closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    if (this.#syncTimer !== null) clearInterval(this.#syncTimer);
    try {
      if (this.#sync !== "never") await this.#file.syncData();
    } finally {
      this.#file.close();
    }
  }
}
