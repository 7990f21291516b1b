// JSON state scoped to a message key, on top of a raw StorePartition.
// Store key layout: [u32 BE length of message key][message key bytes][UTF-8 state key].
// The length prefix keeps keys of different messages apart (no separator ambiguity).
// Stored value: JSON `[value]`, or `[value, expiresAtMs]` when set with a TTL (event time).
//
// Expired cells leave the store (and, through the tombstones of their deletes, the changelog):
// lazily when read, and at each checkpoint through an expiry index kept in the same store, so
// it is durable and recovered with the cells: one entry per cell set with a TTL,
// [FF FF FF FF][u64 BE expiry][cell key] → [1]. No message key is 4 GiB long, so no cell key
// starts with FF FF FF FF, and the index sorts by expiry: a purge is one range scan over the
// entries due, not a scan of the store.

import type { State, StateSetOptions, StorePartition } from "../state/types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** First bytes of every expiry index entry. */
const INDEX = new Uint8Array([0xff, 0xff, 0xff, 0xff]);
const INDEX_VALUE = new Uint8Array([1]);
/** Index entries are 4 + 8 bytes before the cell key. */
const INDEX_HEAD = 12;

/** Bytes identifying a message key in state keys. */
export function messageKeyBytes(key: unknown): Uint8Array {
  if (key === null || key === undefined) return new Uint8Array(0);
  if (key instanceof Uint8Array) return key;
  if (typeof key === "string") return encoder.encode(key);
  return encoder.encode(JSON.stringify(key));
}

/** The index position of an expiry: whole ms, rounded up (never before the cell expires). */
function indexTime(expiresAt: number): number {
  return Math.min(Math.max(Math.ceil(expiresAt), 0), Number.MAX_SAFE_INTEGER);
}

/** `[FF FF FF FF][u64 BE time][cell]`. */
function indexKey(time: number, cell: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(INDEX_HEAD + cell.length);
  out.set(INDEX);
  const view = new DataView(out.buffer);
  view.setUint32(4, Math.floor(time / 2 ** 32));
  view.setUint32(8, time % 2 ** 32);
  out.set(cell, INDEX_HEAD);
  return out;
}

function parseCell(raw: Uint8Array): [unknown, number?] {
  return JSON.parse(decoder.decode(raw)) as [unknown, number?];
}

export class KeyedState implements State {
  #prefix: Uint8Array = new Uint8Array(4);
  /** Event time of the current message, for TTLs. */
  now = 0;
  /** Latest event time seen by this store partition: cells expired by then are purged. */
  latest = -Infinity;
  /** Event time up to which expired cells were purged. */
  #purgedUpTo = -Infinity;
  /** A cell was set with a TTL since the last purge (it may be due already). */
  #ttlSet = false;

  constructor(readonly store: StorePartition) {}

  /** Re-targets this state at another message key (reused to avoid allocations). */
  setMessageKey(key: unknown): this {
    const k = messageKeyBytes(key);
    const p = new Uint8Array(4 + k.length);
    new DataView(p.buffer).setUint32(0, k.length);
    p.set(k, 4);
    this.#prefix = p;
    return this;
  }

  #key(name: string): Uint8Array {
    const n = encoder.encode(name);
    const out = new Uint8Array(this.#prefix.length + n.length);
    out.set(this.#prefix);
    out.set(n, this.#prefix.length);
    return out;
  }

  get<T = unknown>(key: string, defaultValue?: T): T | undefined {
    const k = this.#key(key);
    const raw = this.store.get(k);
    if (raw === undefined) return defaultValue;
    const cell = parseCell(raw);
    if (cell.length > 1 && (cell[1] as number) <= this.now) {
      // Expired: delete it now rather than at the next purge.
      this.store.delete(k);
      this.store.delete(indexKey(indexTime(cell[1] as number), k));
      return defaultValue;
    }
    return cell[0] as T;
  }

  set<T = unknown>(key: string, value: T, options?: StateSetOptions): void {
    if (value === undefined) throw new TypeError(`state.set("${key}"): value is undefined`);
    const k = this.#key(key);
    const ttl = options?.ttlMs;
    if (ttl === undefined || ttl === Infinity) {
      // A previous TTL's index entry stays until its time comes; the purge then sees that the
      // cell no longer expires and only drops the entry.
      this.store.set(k, encoder.encode(JSON.stringify([value])));
      return;
    }
    if (typeof ttl !== "number" || !Number.isFinite(ttl)) {
      throw new TypeError(`state.set("${key}"): ttlMs must be a number of ms, got ${ttl}`);
    }
    const expiresAt = this.now + ttl;
    const at = indexTime(expiresAt);
    // Re-setting a cell with another expiry (a sliding TTL, say) drops its previous entry, so
    // the index holds one entry per live cell.
    const old = this.store.get(k);
    if (old !== undefined) {
      const prev = parseCell(old)[1];
      if (prev !== undefined && indexTime(prev) !== at) {
        this.store.delete(indexKey(indexTime(prev), k));
      }
    }
    this.store.set(indexKey(at, k), INDEX_VALUE);
    this.store.set(k, encoder.encode(JSON.stringify([value, expiresAt])));
    this.#ttlSet = true;
  }

  delete(key: string): void {
    // Its index entry (if any) is dropped by the purge, which finds no cell behind it.
    this.store.delete(this.#key(key));
  }

  exists(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Deletes every cell whose expiry is ≤ `upTo` (default: the latest event time seen), with
   * its index entry; returns how many cells were deleted. A no-op unless event time advanced
   * or a TTL was set since the last purge.
   */
  purgeExpired(upTo: number = this.latest): number {
    if (!(upTo > this.#purgedUpTo) && !this.#ttlSet) return 0;
    this.#ttlSet = false;
    this.#purgedUpTo = Math.max(this.#purgedUpTo, upTo);
    if (!(upTo >= 0)) return 0;
    const due: Uint8Array[] = [];
    for (const [k] of this.store.scan(indexKey(0), indexKey(Math.floor(upTo) + 1))) due.push(k);
    let deleted = 0;
    for (const entry of due) {
      this.store.delete(entry);
      const k = entry.subarray(INDEX_HEAD);
      const raw = this.store.get(k);
      if (raw === undefined) continue;
      const expiresAt = parseCell(raw)[1];
      if (expiresAt !== undefined && expiresAt <= upTo) {
        this.store.delete(k);
        deleted++;
      }
    }
    return deleted;
  }
}
