/**
 * Durable store partition on `node:sqlite`: one database per (store, topic, partition), a
 * `WITHOUT ROWID` key-value table whose BLOB keys sort as unsigned bytes (so `scan` is a range
 * query), and writes buffered in memory until the checkpoint flushes them in one transaction
 * together with the changelog offset. WAL mode survives process crashes; a torn or corrupted
 * file fails to open and the backend rebuilds it from the changelog.
 *
 * @module
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { bytesKey, compareBytes } from "./_bytes.ts";
import type { Change, DurableStorePartition } from "./durable_store.ts";

/** File name of the database inside a store partition directory. */
export const SQLITE_FILE = "state.sqlite";

/** A store partition backed by one sqlite database. */
export class SqliteStorePartition implements DurableStorePartition {
  readonly #db: DatabaseSync;
  readonly #get: StatementSync;
  readonly #put: StatementSync;
  readonly #del: StatementSync;
  readonly #range: StatementSync;
  readonly #setMeta: StatementSync;
  #pending = new Map<string, Change>();
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
    this.#pending.set(bytesKey(key), { key: key.slice(), value });
  }

  delete(key: Uint8Array): void {
    this.#pending.set(bytesKey(key), { key: key.slice(), value: null });
  }

  *scan(from: Uint8Array, to: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    const rows = this.#range.all(from, to) as { k: Uint8Array; v: Uint8Array }[];
    if (this.#pending.size === 0) {
      for (const r of rows) yield [r.k, r.v];
      return;
    }
    const lo = bytesKey(from);
    const hi = bytesKey(to);
    const overlay: Change[] = [];
    for (const [k, c] of this.#pending) if (k >= lo && k < hi) overlay.push(c);
    if (overlay.length === 0) {
      for (const r of rows) yield [r.k, r.v];
      return;
    }
    overlay.sort((a, b) => compareBytes(a.key, b.key));
    // Merge two sorted lists; pending entries win.
    let i = 0;
    let j = 0;
    while (i < rows.length || j < overlay.length) {
      const c = i < rows.length && j < overlay.length
        ? compareBytes(rows[i].k, overlay[j].key)
        : i < rows.length
        ? -1
        : 1;
      if (c < 0) {
        yield [rows[i].k, rows[i].v];
        i++;
      } else {
        if (overlay[j].value !== null) yield [overlay[j].key, overlay[j].value!];
        if (c === 0) i++;
        j++;
      }
    }
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
    if (this.#pending.size === 0 && changelogOffset === undefined) return;
    this.#write(this.#pending.values(), changelogOffset);
    this.#pending = new Map();
  }

  discard(): void {
    this.#pending = new Map();
  }

  applyRecovered(changes: Change[], changelogOffset: number): void {
    this.#write(changes, changelogOffset);
  }

  #write(changes: Iterable<Change>, changelogOffset?: number): void {
    this.#db.exec("BEGIN");
    try {
      for (const c of changes) {
        if (c.value === null) this.#del.run(c.key);
        else this.#put.run(c.key, c.value);
      }
      if (changelogOffset !== undefined) {
        this.#setMeta.run(changelogOffset);
      }
      this.#db.exec("COMMIT");
    } catch (e) {
      this.#db.exec("ROLLBACK");
      throw e;
    }
    if (changelogOffset !== undefined) this.#changelogOffset = changelogOffset;
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
