/**
 * The state plug-in interface between the stream runtime and state backends.
 *
 * The runtime owns one {@link StateBackend} per `Application`. Dataframe steps reach their
 * stores through {@link StorePartition} (raw bytes, used by windows) or {@link State}
 * (JSON values scoped to the current message key, used by `stateful: true` callbacks).
 *
 * This file follows `runtime-contracts.md` exactly; keep it stable, other helpers build on it.
 *
 * @module
 */

/**
 * Options for {@link State.set}.
 *
 * @example
 * ```ts
 * import type { State, StateSetOptions } from "@sa/toolkit";
 * function remember(state: State, id: string): void {
 *   const oneHour: StateSetOptions = { ttlMs: 3_600_000 };
 *   state.set(`seen:${id}`, true, oneHour);
 * }
 * ```
 */
export interface StateSetOptions {
  /**
   * Event-time time-to-live: the entry expires `ttlMs` after the current message's timestamp
   * (`Infinity`: never). Expired entries are deleted (locally and, as tombstones, from the
   * changelog) when read, and at the checkpoint after the partition's event time passes them.
   */
  ttlMs?: number;
}

/**
 * Key-value state scoped to the current message key (what `stateful: true` callbacks receive).
 *
 * @example
 * ```ts
 * import { testDataFrame, type State } from "@sa/toolkit";
 * testDataFrame<number, number>((sdf) =>
 *   sdf.apply((v: number, state: State) => {
 *     const n = state.get<number>("count", 0)! + 1;
 *     state.set("count", n);
 *     return n;
 *   }, { stateful: true }), [{ value: 1, key: "a" }]);
 * ```
 */
export interface State {
  /** The value stored under `key`, else `defaultValue`. */
  get<T = unknown>(key: string, defaultValue?: T): T | undefined;
  /** Stores `value` (JSON-encoded) under `key` until the next checkpoint persists it. */
  set<T = unknown>(key: string, value: T, options?: StateSetOptions): void;
  /** Removes `key`. */
  delete(key: string): void;
  /** True when `key` holds a (non-expired) value. */
  exists(key: string): boolean;
}

/**
 * One store partition: (store name, topic, partition). Raw bytes-level API used by State and windows.
 *
 * @example
 * ```ts
 * import type { StorePartition } from "@sa/toolkit";
 * function count(store: StorePartition): number {
 *   let n = 0;
 *   for (const _ of store.scan(new Uint8Array([0]), new Uint8Array([255]))) n++;
 *   return n;
 * }
 * ```
 */
export interface StorePartition {
  /** Reads see this checkpoint's pending writes. */
  get(key: Uint8Array): Uint8Array | undefined;
  /** Buffered until the next checkpoint flush. */
  set(key: Uint8Array, value: Uint8Array): void;
  /** Buffered until the next checkpoint flush. */
  delete(key: Uint8Array): void;
  /** Range scan over `[from, to)` in unsigned byte order, including pending writes. */
  scan(from: Uint8Array, to: Uint8Array): Iterable<[Uint8Array, Uint8Array]>;
}

/**
 * Where the stores of an application live; the runtime drives it through checkpoints.
 *
 * @example
 * ```ts
 * import { Application, type StateBackend } from "@sa/toolkit";
 * declare const myBackend: StateBackend;
 * const app = new Application({ stateBackend: myBackend });
 * ```
 */
export interface StateBackend {
  /** Opens (and, with changelogs, recovers) the store partitions for an assigned partition. */
  assign(topic: string, partition: number): Promise<void>;
  /** Closes the store partitions of a revoked partition (after its final checkpoint). */
  revoke(topic: string, partition: number): Promise<void>;
  /** The store partition for `(storeName, topic, partition)`; the partition must be assigned. */
  store(storeName: string, topic: string, partition: number): StorePartition;
  /**
   * Checkpoint phase 2: emit changelog records for pending writes. `processed` maps
   * "topic:partition" to the next offset to consume (what phase 4 commits); durable backends
   * tag changelog records with it so recovery can skip changes from uncommitted input.
   */
  prepareCheckpoint(processed?: Map<string, number>): Promise<void>;
  /** Checkpoint phase 5: after offsets are committed, persist pending writes locally. */
  flush(committed: Map<string, /* "topic:partition" */ number /* next offset */>): Promise<void>;
  /** Releases every store; pending (uncommitted) writes are discarded. */
  close(): Promise<void>;
  /**
   * Optional: called once per `run()` after the Kafka clients connect and the pipelines are
   * compiled, before any assignment (durable backends create their changelog topics here).
   */
  start?(env: StateBackendEnv): Promise<void>;
  /**
   * Optional: drops every pending (uncheckpointed) change, when a checkpoint's offset commit
   * was refused and its input will be reprocessed.
   */
  discard?(): void;
  /** Optional: deletes all local state (`app.clearState()`); only while not running. */
  clear?(): Promise<void>;
}

/**
 * What {@link StateBackend.start} receives from the runtime.
 *
 * @example
 * ```ts
 * import type { StateBackendEnv } from "@sa/toolkit";
 * function storesOf(env: StateBackendEnv, topic: string): string[] {
 *   return [...(env.stores.get(topic) ?? [])];
 * }
 * ```
 */
export interface StateBackendEnv {
  /** The run's kafkajs `Kafka` client (typed loosely: this contract does not pin kafkajs). */
  readonly kafka: { admin(): unknown };
  /** The run's connected kafkajs producer; changelog records go through it. */
  readonly producer: { send(record: never): Promise<unknown> };
  /** Bootstrap addresses, `host:port`. */
  readonly brokers: readonly string[];
  /**
   * How to reach the brokers (TLS, SASL) for a backend's own connections; absent: plaintext.
   * Holds the SASL password: never log it.
   */
  readonly security?: {
    protocol: string;
    sasl?: { mechanism: string; username: string; password: string };
    tls?: { ca?: string; cert?: string; key?: string };
  };
  /** Store names by input topic, as the compiled dataframes declare them. */
  readonly stores: ReadonlyMap<string, ReadonlySet<string>>;
}
