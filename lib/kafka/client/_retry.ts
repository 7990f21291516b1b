/**
 * Retrying retriable Kafka failures with capped exponential backoff until a deadline.
 *
 * @module
 */
import { KafkaClientError } from "./errors.ts";

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Give up (rethrowing the last error) once this much time has passed. Default 30000. */
  timeoutMs?: number;
  /** First pause; doubles up to `maxBackoffMs`. Default 50. */
  backoffMs?: number;
  /** Default 1000. */
  maxBackoffMs?: number;
  /** Called after a retriable failure, before the pause (e.g. to refresh metadata). */
  onRetry?: (err: KafkaClientError, attempt: number) => void | Promise<void>;
  /** Stops retrying at once (the last error is thrown). */
  signal?: AbortSignal;
}

/** Resolves after `ms` (or at once when `signal` aborts). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Runs `fn`, again after each retriable {@link KafkaClientError}, until it succeeds or time runs out. */
export async function withRetry<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let backoff = opts.backoffMs ?? 50;
  const maxBackoff = opts.maxBackoffMs ?? 1000;
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (
        !(err instanceof KafkaClientError) || !err.retriable || opts.signal?.aborted ||
        Date.now() + backoff > deadline
      ) throw err;
      await opts.onRetry?.(err, attempt);
      await sleep(backoff, opts.signal);
      backoff = Math.min(maxBackoff, backoff * 2);
    }
  }
}
