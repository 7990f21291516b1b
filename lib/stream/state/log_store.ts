/**
 * The alternative durable store the benchmark compares with sqlite: the whole partition in an
 * in-memory map, persisted as an append-only log of per-checkpoint batches (each ending with a
 * commit marker holding the changelog offset). Opening replays the log and ignores a torn
 * last batch. Reads never touch disk, but opening costs a full replay, memory holds every
 * key, and range scans sort the matching keys. `bench/state.ts` measures both; sqlite is the
 * default (see the README's episode-2 section for the figures).
 *
 * @module
 */

import { bytesKey, keyBytes } from "./_bytes.ts";
import type { Change, DurableStorePartition } from "./durable_store.ts";

/** File name of the log inside a store partition directory. */
export const LOG_FILE = "state.log";

const OP_PUT = 1;
const OP_DEL = 2;
const OP_COMMIT = 3;

/** A store partition kept in memory and persisted as an append-only log. */
export class LogStorePartition implements DurableStorePartition {
  readonly #data = new Map<string, Uint8Array>();
  #pending = new Map<string, Change>();
  #changelogOffset = -1;
  readonly #file: Deno.FsFile;

  constructor(readonly dir: string) {
    Deno.mkdirSync(dir, { recursive: true });
    const path = `${dir}/${LOG_FILE}`;
    let bytes = new Uint8Array(0);
    try {
      bytes = Deno.readFileSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const good = this.#replay(bytes);
    this.#file = Deno.openSync(path, { create: true, write: true, read: true });
    if (good < bytes.length) this.#file.truncateSync(good);
    this.#file.seekSync(good, Deno.SeekMode.Start);
  }

  /** Applies complete batches; returns the length of the valid prefix. */
  #replay(bytes: Uint8Array): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let pos = 0;
    let committed = 0;
    let batch: Change[] = [];
    while (pos < bytes.length) {
      const op = bytes[pos];
      if (op === OP_COMMIT) {
        if (pos + 9 > bytes.length) break;
        for (const c of batch) {
          if (c.value === null) this.#data.delete(bytesKey(c.key));
          else this.#data.set(bytesKey(c.key), c.value);
        }
        this.#changelogOffset = view.getFloat64(pos + 1);
        batch = [];
        pos += 9;
        committed = pos;
      } else if (op === OP_PUT || op === OP_DEL) {
        if (pos + 9 > bytes.length) break;
        const kl = view.getUint32(pos + 1);
        const vl = view.getUint32(pos + 5);
        if (pos + 9 + kl + vl > bytes.length) break;
        const key = bytes.slice(pos + 9, pos + 9 + kl);
        batch.push({
          key,
          value: op === OP_DEL ? null : bytes.slice(pos + 9 + kl, pos + 9 + kl + vl),
        });
        pos += 9 + kl + vl;
      } else {
        break; // garbage: everything after the last commit is dropped
      }
    }
    return committed;
  }

  get(key: Uint8Array): Uint8Array | undefined {
    const k = bytesKey(key);
    const p = this.#pending.get(k);
    if (p !== undefined) return p.value ?? undefined;
    return this.#data.get(k);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.#pending.set(bytesKey(key), { key: key.slice(), value });
  }

  delete(key: Uint8Array): void {
    this.#pending.set(bytesKey(key), { key: key.slice(), value: null });
  }

  *scan(from: Uint8Array, to: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    const lo = bytesKey(from);
    const hi = bytesKey(to);
    const merged = new Map<string, Uint8Array>();
    for (const [k, v] of this.#data) if (k >= lo && k < hi) merged.set(k, v);
    for (const [k, c] of this.#pending) {
      if (k < lo || k >= hi) continue;
      if (c.value === null) merged.delete(k);
      else merged.set(k, c.value);
    }
    for (const k of [...merged.keys()].sort()) yield [keyBytes(k), merged.get(k)!];
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
    this.#write([...this.#pending.values()], changelogOffset ?? this.#changelogOffset);
    this.#pending = new Map();
  }

  discard(): void {
    this.#pending = new Map();
  }

  applyRecovered(changes: Change[], changelogOffset: number): void {
    this.#write(changes, changelogOffset);
  }

  #write(changes: Change[], changelogOffset: number): void {
    let size = 9;
    for (const c of changes) size += 9 + c.key.length + (c.value?.length ?? 0);
    const buf = new Uint8Array(size);
    const view = new DataView(buf.buffer);
    let pos = 0;
    for (const c of changes) {
      buf[pos] = c.value === null ? OP_DEL : OP_PUT;
      view.setUint32(pos + 1, c.key.length);
      view.setUint32(pos + 5, c.value?.length ?? 0);
      buf.set(c.key, pos + 9);
      if (c.value) buf.set(c.value, pos + 9 + c.key.length);
      pos += 9 + c.key.length + (c.value?.length ?? 0);
    }
    buf[pos] = OP_COMMIT;
    view.setFloat64(pos + 1, changelogOffset);
    let off = 0;
    while (off < buf.length) off += this.#file.writeSync(buf.subarray(off));
    for (const c of changes) {
      if (c.value === null) this.#data.delete(bytesKey(c.key));
      else this.#data.set(bytesKey(c.key), c.value);
    }
    this.#changelogOffset = changelogOffset;
  }

  close(): void {
    try {
      this.#file.close();
    } catch { /* already closed */ }
  }
}
