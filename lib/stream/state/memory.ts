/**
 * The in-memory state backend: used when no durable store is configured and by the test
 * harness. Writes are staged per checkpoint exactly like a durable store, so code that works
 * here keeps its checkpoint semantics with the durable backend; nothing survives the process.
 *
 * @module
 */

import type { StateBackend, StorePartition } from "./types.ts";

/** Bytes as a string of char codes 0-255, so that string order equals unsigned byte order. */
function bytesKey(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return s;
}

function keyBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/** A pending delete. */
const TOMBSTONE = null;

/** One in-memory store partition with a per-checkpoint write buffer. */
export class MemoryStorePartition implements StorePartition {
  readonly #data = new Map<string, Uint8Array>();
  #pending = new Map<string, Uint8Array | typeof TOMBSTONE>();

  get(key: Uint8Array): Uint8Array | undefined {
    const k = bytesKey(key);
    const p = this.#pending.get(k);
    if (p !== undefined) return p === TOMBSTONE ? undefined : p;
    return this.#data.get(k);
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.#pending.set(bytesKey(key), value);
  }

  delete(key: Uint8Array): void {
    this.#pending.set(bytesKey(key), TOMBSTONE);
  }

  *scan(from: Uint8Array, to: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    const lo = bytesKey(from);
    const hi = bytesKey(to);
    const merged = new Map<string, Uint8Array>();
    for (const [k, v] of this.#data) if (k >= lo && k < hi) merged.set(k, v);
    for (const [k, v] of this.#pending) {
      if (k < lo || k >= hi) continue;
      if (v === TOMBSTONE) merged.delete(k);
      else merged.set(k, v);
    }
    const keys = [...merged.keys()].sort();
    for (const k of keys) yield [keyBytes(k), merged.get(k)!];
  }

  /** Number of pending (unflushed) writes and deletes. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Writes the pending changes through; called at checkpoint phase 5. */
  flush(): void {
    for (const [k, v] of this.#pending) {
      if (v === TOMBSTONE) this.#data.delete(k);
      else this.#data.set(k, v);
    }
    this.#pending = new Map();
  }

  /** Drops the pending changes (a failed or abandoned checkpoint). */
  discard(): void {
    this.#pending = new Map();
  }
}

/**
 * A {@link StateBackend} that keeps every store in memory. State of a revoked partition is
 * dropped (another instance may own it now), so it suits single-instance apps and tests.
 */
export class MemoryStateBackend implements StateBackend {
  readonly #assigned = new Set<string>();
  readonly #stores = new Map<string, MemoryStorePartition>();

  assign(topic: string, partition: number): Promise<void> {
    this.#assigned.add(`${topic}:${partition}`);
    return Promise.resolve();
  }

  revoke(topic: string, partition: number): Promise<void> {
    const tp = `${topic}:${partition}`;
    this.#assigned.delete(tp);
    for (const id of [...this.#stores.keys()]) {
      if (id.endsWith(`\u0000${tp}`)) this.#stores.delete(id);
    }
    return Promise.resolve();
  }

  store(storeName: string, topic: string, partition: number): MemoryStorePartition {
    const tp = `${topic}:${partition}`;
    if (!this.#assigned.has(tp)) {
      throw new Error(`state store "${storeName}": partition ${tp} is not assigned`);
    }
    const id = `${storeName}\u0000${tp}`;
    let store = this.#stores.get(id);
    if (!store) {
      store = new MemoryStorePartition();
      this.#stores.set(id, store);
    }
    return store;
  }

  prepareCheckpoint(): Promise<void> {
    return Promise.resolve();
  }

  flush(_committed: Map<string, number>): Promise<void> {
    for (const store of this.#stores.values()) store.flush();
    return Promise.resolve();
  }

  /** Drops every store's pending changes (a refused checkpoint). */
  discard(): void {
    for (const store of this.#stores.values()) store.discard();
  }

  close(): Promise<void> {
    this.#stores.clear();
    this.#assigned.clear();
    return Promise.resolve();
  }
}
