/**
 * Sink backpressure: the error a sink throws when its destination asks to slow down, and the
 * gate the application uses to pause its input until the checkpoint can be retried.
 *
 * @module
 */

import type { Logger } from "../../util/log.ts";
import { StreamError } from "../errors.ts";

/**
 * Thrown by a sink's `flush`/`write` when the destination is overloaded (HTTP 429, say). The
 * application pauses every input partition, keeps the unwritten rows and retries the
 * checkpoint after `retryAfterMs` (or an exponential backoff when it is undefined).
 *
 * @example
 * ```ts
 * import { BatchingSink, SinkBackpressureError, type SinkBatch } from "@sa/toolkit";
 * class ApiSink extends BatchingSink {
 *   async write(batch: SinkBatch) {
 *     const res = await fetch("http://127.0.0.1:9999/rows", {
 *       method: "POST",
 *       body: JSON.stringify(batch.items.map((i) => i.value)),
 *     });
 *     if (res.status === 429) throw new SinkBackpressureError(1000, "API rate limit");
 *     if (!res.ok) throw new Error(`API answered ${res.status}`);
 *   }
 * }
 * ```
 */
export class SinkBackpressureError extends Error {
  /** Retry after this many ms; undefined lets the application back off exponentially. */
  readonly retryAfterMs: number | undefined;

  /** `retryAfterMs` undefined: 0.5 s, doubling per consecutive failure, up to 30 s. */
  constructor(retryAfterMs?: number, message = "sink backpressure") {
    super(message);
    this.name = "SinkBackpressureError";
    this.retryAfterMs = retryAfterMs;
  }
}

/** What the gate pauses and resumes (the kafkajs consumer has this shape). */
export interface Pausable {
  pause(topics: Array<{ topic: string }>): void;
  resume(topics: Array<{ topic: string }>): void;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** At shutdown, how many backpressured attempts before giving up (input is reprocessed). */
const FINAL_ATTEMPTS = 5;

/**
 * Runs checkpoints through sink backpressure: on a `SinkBackpressureError` it pauses the
 * input topics and refuses further checkpoints until the delay has passed; the next one that
 * succeeds resumes them.
 */
export class BackpressureGate {
  #until = 0;
  #failures = 0;
  #paused: string[] = [];

  constructor(
    readonly consumer: () => Pausable | undefined,
    readonly topics: () => string[],
    readonly logger: Logger,
  ) {}

  /** True while paused and the retry delay has not passed. */
  get waiting(): boolean {
    return Date.now() < this.#until;
  }

  /**
   * Runs `commit` unless a retry delay is pending. `final` (shutdown) waits out the delays
   * and retries a few times instead of returning.
   */
  async run(commit: () => Promise<void>, final = false): Promise<void> {
    for (let attempt = 1;; attempt++) {
      if (this.waiting) {
        if (!final) return;
        await new Promise((r) => setTimeout(r, this.#until - Date.now()));
      }
      try {
        await commit();
      } catch (e) {
        if (!(e instanceof SinkBackpressureError)) throw e;
        const delay = e.retryAfterMs ??
          Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.#failures);
        this.#failures++;
        this.#until = Date.now() + delay;
        this.#pause();
        this.logger.warn(`${e.message}: input paused, checkpoint retried in ${delay} ms`);
        if (!final) return;
        if (attempt >= FINAL_ATTEMPTS) {
          throw new StreamError(
            `sink still backpressured after ${attempt} attempts at shutdown; ` +
              "uncommitted input will be reprocessed",
            { cause: e },
          );
        }
        continue;
      }
      this.#failures = 0;
      this.#resume();
      return;
    }
  }

  #pause(): void {
    const c = this.consumer();
    if (!c || this.#paused.length) return;
    this.#paused = this.topics();
    c.pause(this.#paused.map((topic) => ({ topic })));
  }

  #resume(): void {
    if (!this.#paused.length) return;
    const topics = this.#paused;
    this.#paused = [];
    this.consumer()?.resume(topics.map((topic) => ({ topic })));
    this.logger.info(`sink caught up: input resumed (${topics.join(", ")})`);
  }
}
