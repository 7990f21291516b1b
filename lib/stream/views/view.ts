/**
 * In-memory views: a dataframe materialised as the latest value per key (or the latest
 * window results per key), readable while the app runs, with the position (input offsets)
 * it reflects. Served over HTTP by lib/serve/views_http.ts.
 *
 * A view holds the keys of the partitions this instance owns: when a partition is revoked its
 * keys are dropped (the new owner rebuilds them from its own processing).
 *
 * @module
 */
import type { StepContext } from "../types.ts";

/**
 * Options of `sdf.toView(name, options)`.
 *
 * @example The last 10 window results per device
 * ```ts
 * import { Application, type ViewOptions } from "@sa/toolkit";
 * const app = new Application({ http: { port: 8090 } });
 * const options: ViewOptions = { windowed: true, windows: 10 };
 * app.dataframe(app.topic("readings")).tumblingWindow("10s").count().final()
 *   .toView("counts", options);
 * ```
 */
export interface ViewOptions {
  /**
   * The rows are window results (`{start, end, value}`, as `.final()`/`.current()` emit):
   * keep the latest `windows` of them per key, by start, instead of one value per key.
   */
  windowed?: boolean;
  /** Window results kept per key when `windowed` (default 60). */
  windows?: number;
  /**
   * Keep the view in a state store too (default true), so an instance that gets a partition
   * (restart, rebalance) restores its keys from the store's changelog. False: memory only,
   * filled by what this instance processes from then on.
   */
  durable?: boolean;
}

/** One change of a view, as subscribers get it. */
export interface ViewChange {
  key: string;
  value: unknown;
  /** Input partition and offset of the message that caused it. */
  partition: number;
  offset: number;
}

/** A position: partition → next offset not yet applied (offsets below it are applied). */
export type ViewPosition = Map<number, number>;

interface Entry {
  value: unknown;
  partition: number;
}

/** Turns a message key into the view's string key. */
export function viewKey(key: unknown): string {
  if (typeof key === "string") return key;
  if (key instanceof Uint8Array) return new TextDecoder().decode(key);
  if (key === null || key === undefined) return "";
  return JSON.stringify(key);
}

/** One view of an application. */
export class View {
  readonly #entries = new Map<string, Entry>();
  readonly #position: ViewPosition = new Map();
  readonly #subscribers = new Set<(c: ViewChange) => void>();
  readonly #waiters = new Set<() => void>();
  /** Changes applied since the view was created. */
  changes = 0;

  constructor(
    /** The view's name (URL segment). */
    readonly name: string,
    /** The topic whose offsets positions count (the stream the view is on). */
    readonly topic: string,
    readonly options: ViewOptions = {},
  ) {}

  /** The state store backing a durable view. */
  get storeName(): string | null {
    return this.options.durable === false ? null : `view--${this.name}`;
  }

  /** Applies a row (called by the dataframe step); returns the key and the value stored. */
  apply(key: unknown, value: unknown, ctx: StepContext): [string, unknown] {
    const k = viewKey(key);
    let stored: unknown = value;
    if (this.options.windowed) {
      const w = value as { start?: unknown; end?: unknown };
      if (typeof w?.start !== "number") {
        throw new TypeError(
          `view ${this.name}: windowed views take window results {start, end, value}, got ${
            JSON.stringify(value)
          }`,
        );
      }
      const prev = (this.#entries.get(k)?.value as { start: number }[] | undefined) ?? [];
      const next = prev.filter((x) => x.start !== w.start);
      next.push(value as { start: number });
      next.sort((a, b) => a.start - b.start);
      const keep = this.options.windows ?? 60;
      stored = next.length > keep ? next.slice(next.length - keep) : next;
    }
    this.#entries.set(k, { value: stored, partition: ctx.partition });
    this.changes++;
    if (this.#subscribers.size) {
      const change = { key: k, value: stored, partition: ctx.partition, offset: ctx.offset };
      for (const s of this.#subscribers) s(change);
    }
    return [k, stored];
  }

  /** Loads the keys of a partition restored from the view's store (on assignment). */
  load(partition: number, entries: Iterable<[string, unknown]>): void {
    for (const [k, value] of entries) this.#entries.set(k, { value, partition });
  }

  /** Messages below `next` of `partition` are applied (called after the pipeline ran). */
  advance(partition: number, next: number): void {
    if ((this.#position.get(partition) ?? -1) >= next) return;
    this.#position.set(partition, next);
    for (const w of [...this.#waiters]) w();
  }

  /** Drops the keys of a revoked partition and forgets its position. */
  revoke(partition: number): void {
    for (const [k, e] of this.#entries) if (e.partition === partition) this.#entries.delete(k);
    this.#position.delete(partition);
  }

  /** The current position (a copy). */
  position(): ViewPosition {
    return new Map(this.#position);
  }

  /** Keys held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The value of `key`, or undefined. */
  get(key: string): unknown {
    return this.#entries.get(key)?.value;
  }

  /** Entries whose key starts with `prefix`, sorted by key, at most `limit`. */
  list(prefix = "", limit = 1000): { key: string; value: unknown }[] {
    const keys = [...this.#entries.keys()].filter((k) => k.startsWith(prefix)).sort();
    return keys.slice(0, limit).map((key) => ({ key, value: this.#entries.get(key)!.value }));
  }

  /** Whether every partition of `min` has reached its offset. */
  reached(min: ViewPosition): boolean {
    for (const [p, o] of min) if ((this.#position.get(p) ?? 0) < o) return false;
    return true;
  }

  /** Resolves true once `min` is reached, false after `timeoutMs` (or when `signal` aborts). */
  waitFor(min: ViewPosition, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.reached(min)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        signal?.removeEventListener("abort", abort);
        resolve(ok);
      };
      const check = () => {
        if (this.reached(min)) done(true);
      };
      const abort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiters.add(check);
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  /**
   * Calls `fn` with every change from now on; returns the snapshot taken at the same moment
   * (no change is lost or doubled between the two) and a function ending the subscription.
   */
  subscribe(
    fn: (c: ViewChange) => void,
    prefix = "",
  ): { snapshot: { key: string; value: unknown }[]; position: ViewPosition; stop(): void } {
    const sub = prefix ? (c: ViewChange) => c.key.startsWith(prefix) && fn(c) : fn;
    this.#subscribers.add(sub);
    return {
      snapshot: this.list(prefix, Infinity),
      position: this.position(),
      stop: () => void this.#subscribers.delete(sub),
    };
  }
}

const registries = new WeakMap<object, Map<string, View>>();

/** The views of an application (keyed by its dataframe registry). */
export function viewsOf(registry: object): Map<string, View> {
  let m = registries.get(registry);
  if (!m) registries.set(registry, m = new Map());
  return m;
}
