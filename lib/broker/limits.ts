/**
 * The broker's resource limits, so one client cannot take memory or file descriptors from
 * the others. They are sized from one memory target, `memoryLimitBytes` (default 512 MiB):
 *
 * - `queuedMaxRequestBytes` (Kafka's `queued.max.request.bytes`), a quarter of it: large
 *   request frames are admitted only while their bytes fit; a connection whose frame does
 *   not fit waits before allocating it. Frames up to the 64 KiB read buffer need no admission.
 * - `fetchMaxBytesTotal`, a quarter of it: memory of Fetch responses being written. Responses
 *   are streamed from the segment files (`response_stream.ts`): each one being written holds
 *   a chunk of up to 1 MiB from this budget; when clients that do not read hold it all, the others'
 *   responses go through 16 KiB buffers instead (slower, never stuck behind them).
 * - `fetchMaxBytes` (Kafka's `fetch.max.bytes`, 55 MiB), capped by the total: the records of
 *   one response (it costs no memory beyond its chunk, but bounds one request's disk reads).
 * - `maxConnections` (512) and `idleTimeoutMs` (Kafka's `connections.max.idle.ms`, 10 min):
 *   a connection that completes no request and writes no response bytes for that long is closed,
 *   which also frees what a client that stopped reading or sending still holds.
 * - `maxOpenSegmentFiles` (256): see `log/open_files.ts`.
 *
 * @module
 */

/** The limits of one broker; see the module doc. */
export interface BrokerLimits {
  memoryLimitBytes: number;
  queuedMaxRequestBytes: number;
  fetchMaxBytes: number;
  fetchMaxBytesTotal: number;
  maxConnections: number;
  idleTimeoutMs: number;
  maxOpenSegmentFiles: number;
}

import { DEFAULT_MAX_OPEN_SEGMENT_FILES } from "./log/open_files.ts";

const MiB = 1024 * 1024;

/** Default memory target. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 512 * MiB;
/** Kafka's `fetch.max.bytes` default. */
export const DEFAULT_FETCH_MAX_BYTES = 55 * MiB;
/** Default connection limit. */
export const DEFAULT_MAX_CONNECTIONS = 512;
/** Kafka's `connections.max.idle.ms` default. */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
export { DEFAULT_MAX_OPEN_SEGMENT_FILES } from "./log/open_files.ts";

/** Resolves defaults: unset budgets follow `memoryLimitBytes`. Throws naming a bad value. */
export function resolveLimits(over: Partial<BrokerLimits> = {}): BrokerLimits {
  const memoryLimitBytes = over.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT_BYTES;
  const fetchMaxBytesTotal = over.fetchMaxBytesTotal ?? Math.floor(memoryLimitBytes / 4);
  const limits: BrokerLimits = {
    memoryLimitBytes,
    queuedMaxRequestBytes: over.queuedMaxRequestBytes ?? Math.floor(memoryLimitBytes / 4),
    fetchMaxBytesTotal,
    fetchMaxBytes: over.fetchMaxBytes ?? Math.min(DEFAULT_FETCH_MAX_BYTES, fetchMaxBytesTotal),
    maxConnections: over.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    idleTimeoutMs: over.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxOpenSegmentFiles: over.maxOpenSegmentFiles ?? DEFAULT_MAX_OPEN_SEGMENT_FILES,
  };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new Error(`${k} must be a positive integer, got ${v}`);
    }
  }
  return limits;
}

/**
 * A pool of bytes shared by all connections. {@link take} waits, first come first served,
 * until the bytes fit; a request larger than the whole limit is admitted alone (when nothing
 * else is taken), so it is slowed, never refused.
 */
export class ByteBudget {
  #used = 0;
  #waiters: { n: number; resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(readonly limit: number) {}

  /** Bytes taken now. */
  get used(): number {
    return this.#used;
  }

  /** Bytes left (never negative). */
  get available(): number {
    return Math.max(0, this.limit - this.#used);
  }

  #fits(n: number): boolean {
    return this.#used + n <= this.limit || this.#used === 0;
  }

  /** Takes `n` bytes if they fit now and nobody is waiting. */
  tryTake(n: number): boolean {
    if (this.#waiters.length > 0 || !this.#fits(n)) return false;
    this.#used += n;
    return true;
  }

  /** Takes `n` bytes, waiting for them; rejects when `signal` aborts first. */
  take(n: number, signal?: AbortSignal): Promise<void> {
    if (this.tryTake(n)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        n,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
        reject,
      };
      const onAbort = () => {
        const i = this.#waiters.indexOf(w);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(signal!.reason ?? new Error("aborted"));
        this.#wake();
      };
      if (signal?.aborted) return reject(signal.reason ?? new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(w);
    });
  }

  /** Gives `n` bytes back and admits waiters that now fit. */
  release(n: number): void {
    this.#used = Math.max(0, this.#used - n);
    this.#wake();
  }

  #wake(): void {
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0].n)) {
      const w = this.#waiters.shift()!;
      this.#used += w.n;
      w.resolve();
    }
  }
}
