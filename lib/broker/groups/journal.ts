/**
 * A durable append-only journal of JSON records, one per line, used for committed group
 * offsets and transaction state.
 *
 * Appends issued while a write is in flight are coalesced into the next write, so many
 * concurrent commits share one fdatasync. On open, the journal is replayed; a torn or
 * unparsable tail (a crash mid-write) is truncated to the last complete record and the
 * truncation is logged. {@link Journal.rewrite} replaces the file atomically (temp file,
 * fsync, rename) with a compacted snapshot.
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
      const chunk = encoder.encode(this.#queued.join(""));
      const waiters = this.#waiters;
      this.#queued = [];
      this.#waiters = [];
      try {
        let off = 0;
        while (off < chunk.length) off += await this.#file.write(chunk.subarray(off));
        if (this.#sync === "always") await this.#file.syncData();
        else this.#dirty = true;
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.#logger.error(`${this.path}: write failed: ${(e as Error).message}`);
        for (const w of waiters) w.reject(e);
      }
    }
    this.#writing = null;
  }

  /** Waits for every queued append to finish. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /**
   * Atomically replaces the journal with `snapshot` (compaction). The snapshot must already
   * contain every record appended before this call; appends made during the rewrite are
   * held back and written to the new file afterwards.
   */
  async rewrite(snapshot: readonly R[]): Promise<void> {
    this.#paused = true;
    try {
      if (this.#writing) await this.#writing;
      const tmp = this.path + ".tmp";
      const data = encoder.encode(snapshot.map((r) => JSON.stringify(r) + "\n").join(""));
      const f = await Deno.open(tmp, { create: true, write: true, truncate: true });
      try {
        let off = 0;
        while (off < data.length) off += await f.write(data.subarray(off));
        await f.syncData();
      } finally {
        f.close();
      }
      this.#file.close();
      await Deno.rename(tmp, this.path);
      this.#file = await Deno.open(this.path, { read: true, write: true });
      await this.#file.seek(0, Deno.SeekMode.End);
      this.records = snapshot.length + this.#queued.length;
    } finally {
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
