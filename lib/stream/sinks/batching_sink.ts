/**
 * `BatchingSink`: the base of most sinks. Rows are buffered per input partition; at each
 * checkpoint, before offsets are committed, every batch is handed to `write(batch)`. A batch
 * leaves the buffer only once `write` resolved, so a failed or backpressured write is retried
 * with the same rows (and more, if more arrived meanwhile).
 *
 * @module
 */

import type { MessageHeaders, Row, Sink, SinkContext } from "../types.ts";

/**
 * One buffered row with its origin.
 *
 * @example
 * ```ts
 * import type { SinkItem } from "@sa/toolkit";
 * const item: SinkItem<number> = { value: 1, key: "k", timestamp: 0, headers: {}, offset: 7 };
 * ```
 */
export interface SinkItem<T = unknown> extends Row<T> {
  /** Input offset of the row. */
  offset: number;
}

/**
 * The rows of one input partition since the last checkpoint, in order.
 *
 * @example
 * ```ts
 * import type { SinkBatch } from "@sa/toolkit";
 * function describe(batch: SinkBatch): string {
 *   return `${batch.topic}[${batch.partition}] from ${batch.startOffset}: ${batch.size} rows`;
 * }
 * ```
 */
export class SinkBatch<T = unknown> {
  /** The rows, in input order. */
  readonly items: SinkItem<T>[] = [];

  /** An empty batch of `topic[partition]`. */
  constructor(readonly topic: string, readonly partition: number) {}

  /** Number of rows. */
  get size(): number {
    return this.items.length;
  }

  /** Offset of the first row (-1 when empty). */
  get startOffset(): number {
    return this.items[0]?.offset ?? -1;
  }

  /** The rows in chunks of at most `n`. */
  *chunks(n: number): Generator<SinkItem<T>[]> {
    if (!(n >= 1)) throw new RangeError(`chunk size must be >= 1, got ${n}`);
    for (let i = 0; i < this.items.length; i += n) yield this.items.slice(i, i + n);
  }
}

/**
 * A sink that writes whole batches: implement `write(batch)` (and optionally `setup()`).
 * Throw a `SinkBackpressureError` from `write` when the destination asks to slow down: the
 * application pauses its input, keeps the batch and retries the checkpoint after the delay.
 * Any other error fails the checkpoint, so nothing is committed past unwritten rows.
 *
 * @example Write each batch to the console
 * ```ts
 * import { Application, BatchingSink, type SinkBatch } from "@sa/toolkit";
 *
 * class ConsoleBatchSink extends BatchingSink<{ n: number }> {
 *   write(batch: SinkBatch<{ n: number }>) {
 *     console.log(`${batch.size} rows from ${batch.topic}[${batch.partition}]`);
 *   }
 * }
 * const app = new Application({ consumerGroup: "printer" });
 * app.dataframe(app.topic<{ n: number }>("numbers")).sink(new ConsoleBatchSink());
 * ```
 */
export abstract class BatchingSink<T = unknown> implements Sink {
  readonly #batches = new Map<string, SinkBatch<T>>();

  /** Writes one batch; resolve only once the destination has it. */
  abstract write(batch: SinkBatch<T>): Promise<void> | void;

  /** Rows buffered and not yet written. */
  get buffered(): number {
    let n = 0;
    for (const b of this.#batches.values()) n += b.size;
    return n;
  }

  /** Buffers one row (called by the dataframe). */
  add(row: Row, ctx: SinkContext): void {
    const id = `${ctx.topic}:${ctx.partition}`;
    let batch = this.#batches.get(id);
    if (!batch) this.#batches.set(id, batch = new SinkBatch<T>(ctx.topic, ctx.partition));
    batch.items.push({
      value: row.value as T,
      key: row.key,
      timestamp: row.timestamp,
      headers: row.headers as MessageHeaders,
      offset: ctx.offset,
    });
  }

  /** Writes every buffered batch (called at each checkpoint). */
  async flush(): Promise<void> {
    for (const [id, batch] of this.#batches) {
      await this.write(batch);
      this.#batches.delete(id);
    }
  }
}
