/**
 * Run observers: what the runtime tells interested parties (metrics, views) while it runs.
 * The runtime calls them on its hot path, once per run of messages of a partition, so they
 * must be cheap and must not throw.
 *
 * @module
 */

/**
 * Callbacks of a running application; every one is optional.
 *
 * @example Count processed messages
 * ```ts
 * import { Application } from "@sa/toolkit";
 * const app = new Application();
 * let n = 0;
 * app.observers.add({ processed: (_t, _p, _last, count) => void (n += count) });
 * ```
 */
export interface RunObserver {
  /**
   * Messages of `topic[partition]` up to `lastOffset` (inclusive) went through the whole
   * pipeline. `highWatermark` is the partition's end as last fetched (lag = hwm - lastOffset - 1).
   */
  processed?(
    topic: string,
    partition: number,
    lastOffset: number,
    count: number,
    highWatermark: number,
  ): void;
  /** A checkpoint finished (or failed) after `durationMs`. */
  checkpointed?(durationMs: number, ok: boolean): void;
  /** Partitions ("topic:partition") assigned to this instance. */
  assigned?(tps: string[]): void;
  /** Partitions ("topic:partition") taken from this instance. */
  revoked?(tps: string[]): void;
}

/**
 * The observers of one application (`app.observers`).
 *
 * @example
 * ```ts
 * import { Application } from "@sa/toolkit";
 * const app = new Application();
 * const remove = app.observers.add({ checkpointed: (ms) => console.log(`checkpoint ${ms} ms`) });
 * remove();
 * ```
 */
export class RunObservers {
  readonly #list: RunObserver[] = [];
  /** The URL this instance advertises to its consumer group (set by the app's HTTP server). */
  advertisedUrl: string | undefined;

  /** Adds an observer; returns a function removing it. */
  add(o: RunObserver): () => void {
    this.#list.push(o);
    return () => {
      const i = this.#list.indexOf(o);
      if (i >= 0) this.#list.splice(i, 1);
    };
  }

  /** See {@link RunObserver.processed}. */
  processed(t: string, p: number, last: number, count: number, hwm: number): void {
    for (const o of this.#list) o.processed?.(t, p, last, count, hwm);
  }

  /** See {@link RunObserver.checkpointed}. */
  checkpointed(ms: number, ok: boolean): void {
    for (const o of this.#list) o.checkpointed?.(ms, ok);
  }

  /** See {@link RunObserver.assigned}. */
  assigned(tps: string[]): void {
    for (const o of this.#list) o.assigned?.(tps);
  }

  /** See {@link RunObserver.revoked}. */
  revoked(tps: string[]): void {
    for (const o of this.#list) o.revoked?.(tps);
  }
}
