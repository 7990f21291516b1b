// JSON state scoped to a message key, on top of a raw StorePartition.
// Store key layout: [u32 BE length of message key][message key bytes][UTF-8 state key].
// The length prefix keeps keys of different messages apart (no separator ambiguity).
// Stored value: JSON `[value]`, or `[value, expiresAtMs]` when set with a TTL (event time).

import type { State, StateSetOptions, StorePartition } from "../state/types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes identifying a message key in state keys. */
export function messageKeyBytes(key: unknown): Uint8Array {
  if (key === null || key === undefined) return new Uint8Array(0);
  if (key instanceof Uint8Array) return key;
  if (typeof key === "string") return encoder.encode(key);
  return encoder.encode(JSON.stringify(key));
}

export class KeyedState implements State {
  #prefix: Uint8Array = new Uint8Array(4);
  /** Event time of the current message, for TTLs. */
  now = 0;

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
    const raw = this.store.get(this.#key(key));
    if (raw === undefined) return defaultValue;
    const cell = JSON.parse(decoder.decode(raw)) as [T, number?];
    if (cell.length > 1 && (cell[1] as number) <= this.now) return defaultValue;
    return cell[0];
  }

  set<T = unknown>(key: string, value: T, options?: StateSetOptions): void {
    if (value === undefined) throw new TypeError(`state.set("${key}"): value is undefined`);
    const cell = options?.ttlMs !== undefined ? [value, this.now + options.ttlMs] : [value];
    this.store.set(this.#key(key), encoder.encode(JSON.stringify(cell)));
  }

  delete(key: string): void {
    this.store.delete(this.#key(key));
  }

  exists(key: string): boolean {
    return this.get(key) !== undefined;
  }
}
