/**
 * Durable store partition on `node:sqlite`: one database per (store, topic, partition), a
 * `WITHOUT ROWID` key-value table whose BLOB keys sort as unsigned bytes (so `scan` is a range
 * query), and writes buffered until the checkpoint flushes them in one transaction together
 * with the changelog offset: reads of pending keys come from memory; before a range scan the
 * pending changes are written into an open, uncommitted sqlite transaction (so the query sees
 * them) that the flush commits and a discard rolls back. WAL mode survives process crashes; a torn or corrupted
 * file fails to open and the backend rebuilds it from the changelog.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { bytesKey } from "./_bytes.ts";
import type { Change, DurableStorePartition } from "./durable_store.ts";

/** File name of the database inside a store partition directory. */
export const SQLITE_FILE = "state.sqlite";

/** Rows per multi-row insert during recovery (2 bound parameters each). */
const PUT_ROWS = 128;
const EMPTY = new Uint8Array(0);

/** A store partition backed by one sqlite database. */
export class SqliteStorePartition implements DurableStorePartition {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #del: StatementSync;
  readonly #range: StatementSync;
  readonly #setMeta: StatementSync;
  /** Multi-row put of {@link PUT_ROWS} rows, prepared on the first recovery. */
  #putMany?: StatementSync;
  readonly #putArgs: Uint8Array[] = new Array(2 * PUT_ROWS).fill(EMPTY);
  /** Changes since the last flush (what the changelog gets), by key. */
  #pending = new Map<string, Change>();
  /** Pending changes not yet written into the open sqlite transaction. */
  readonly #dirty = new Map<string, Change>();
  #inTxn = false;
  #changelogOffset: number;

  /** Opens (creating) `<dir>/state.sqlite`; throws if the file is not a usable database. */
  constructor(readonly dir: string) {
    Deno.mkdirSync(dir, { recursive: true });
    this.#db = new DatabaseSync(`${dir}/${SQLITE_FILE}`);
    try {
      this.#db.exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" +
          "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;" +
          "CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);",
      );
      const check = this.#db.prepare("PRAGMA quick_check").get() as Record<string, unknown>;
      const verdict = Object.values(check ?? {})[0];
      if (verdict !== "ok") throw new Error(`integrity check failed: ${String(verdict)}`);
      this.#get = this.#db.prepare("SELECT v FROM kv WHERE k = ?");
      this.#put = this.#db.prepare("INSERT OR REPLACE INTO kv(k, v) VALUES (?, ?)");
      this.#del = this.#db.prepare("DELETE FROM kv WHERE k = ?");
      this.#range = this.#db.prepare("SELECT k, v FROM kv WHERE k >= ? AND k < ? ORDER BY k");
      this.#setMeta = this.#db.prepare(
        "INSERT OR REPLACE INTO meta(name, value) VALUES ('changelog_offset', ?)",
      );
      const row = this.#db.prepare("SELECT value FROM meta WHERE name = 'changelog_offset'")
        .get() as { value: number } | undefined;
      this.#changelogOffset = row ? Number(row.value) : -1;
    } catch (e) {
      this.#db.close();
      throw new Error(`state store ${dir}/${SQLITE_FILE}: ${(e as Error).message}`);
    }
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const p = this.#pending.get(bytesKey(key));
    if (p !== undefined) return p.value ?? undefined;
    const row = this.#get.get(key) as { v: Uint8Array } | undefined;
    return row?.v;
  }

  set(key: Uint8Array, value: Uint8Array): void {
    const k = bytesKey(key);
    const c = { key: key.slice(), value };
    this.#pending.set(k, c);
    this.#dirty.set(k, c);
  }

  delete(key: Uint8Array): void {
    const k = bytesKey(key);
    const c = { key: key.slice(), value: null };
    this.#pending.set(k, c);
    this.#dirty.set(k, c);
  }

  *scan(from: Uint8Array, to: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    // Pending changes are written into the open (uncommitted) sqlite transaction before a
    // range query, so the query sees them; the commit happens at the checkpoint's flush.
    this.#sync();
    const rows = this.#range.all(from, to) as { k: Uint8Array; v: Uint8Array }[];
    for (const r of rows) yield [r.k, r.v];
  }

  /** Applies not-yet-applied pending changes inside the open transaction. */
  #sync(): void {
    if (this.#dirty.size === 0) return;
    if (!this.#inTxn) {
      this.#db.exec("BEGIN");
      this.#inTxn = true;
    }
    for (const c of this.#dirty.values()) {
      if (c.value === null) this.#del.run(c.key);
      else this.#put.run(c.key, c.value);
    }
    this.#dirty.clear();
  }

  pending(): Iterable<Change> {
    return this.#pending.values();
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  get changelogOffset(): number {
    return this.#changelogOffset;
  }

  flush(changelogOffset?: number): void {
    if (this.#pending.size === 0 && changelogOffset === undefined && !this.#inTxn) return;
    try {
      this.#sync();
      if (!this.#inTxn) {
        this.#db.exec("BEGIN");
        this.#inTxn = true;
      }
      if (changelogOffset !== undefined) this.#setMeta.run(changelogOffset);
      this.#db.exec("COMMIT");
      this.#inTxn = false;
    } catch (e) {
      this.discard();
      throw e;
    }
    if (changelogOffset !== undefined) this.#changelogOffset = changelogOffset;
    this.#pending = new Map();
  }

  discard(): void {
    if (this.#inTxn) {
      this.#db.exec("ROLLBACK");
      this.#inTxn = false;
    }
    this.#pending = new Map();
    this.#dirty.clear();
  }

  applyRecovered(changes: Change[], changelogOffset: number): void {
    if (this.#pending.size || this.#inTxn) {
      throw new Error(`state store ${this.dir}: recovery with uncommitted changes pending`);
    }
    this.#db.exec("BEGIN");
    try {
      // Recovery's hot path: a binding call costs more than sqlite's insert itself, so runs of
      // puts go through one multi-row statement (rows apply in order: a later duplicate key
      // replaces the earlier one, as single-row writes would).
      const putMany = this.#putMany ??= this.#db.prepare(
        "INSERT OR REPLACE INTO kv(k, v) VALUES " + Array(PUT_ROWS).fill("(?, ?)").join(", "),
      );
      const args = this.#putArgs;
      let n = 0;
      const drain = () => {
        for (let j = 0; j < n; j += 2) this.#put.run(args[j], args[j + 1]);
        n = 0;
      };
      for (const c of changes) {
        if (c.value === null) {
          drain();
          this.#del.run(c.key);
          continue;
        }
        args[n++] = c.key;
        args[n++] = c.value;
        if (n === args.length) {
          putMany.run(...args);
          n = 0;
        }
      }
      drain();
      args.fill(EMPTY); // drop references to the recovered buffers
      this.#setMeta.run(changelogOffset);
      this.#db.exec("COMMIT");
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    }
    this.#changelogOffset = changelogOffset;
  }

  close(): void {
    if (!this.#db.isOpen) return;
    if (this.#inTxn) this.#db.exec("ROLLBACK");
    this.#inTxn = false;
    this.#db.close();
  }
}
