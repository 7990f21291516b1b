/**
 * Small helpers of the run loop: its mutex, signal handling, and the connect error that says
 * how to start a broker.
 *
 * @module
 */

import type { Logger } from "../util/log.ts";
import { InterruptTracker } from "../util/signals.ts";
import { StreamError } from "./errors.ts";

/** A minimal async mutex: processing, timers, rebalances and checkpoints never interleave. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  lock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.then(() => {}, () => {});
    return run;
  }
}

export function addSignalListeners(handler: () => void, logger: Logger): Array<() => void> {
  const removers: Array<() => void> = [];
  const interrupts = new InterruptTracker();
  const onSignal = () => {
    // The first signal stops gracefully; a second press means "now", as Ctrl+C twice does in
    // Quix. Echoes of the first keystroke (forwarded by deno task/npx) are not a second press.
    const kind = interrupts.hit();
    if (kind === "echo") return;
    if (kind === "repeat") {
      logger.warn("second interrupt: exiting without a final checkpoint");
      Deno.exit(130);
    }
    handler();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(sig, onSignal);
      removers.push(() => Deno.removeSignalListener(sig, onSignal));
    } catch {
      // Workers and some platforms cannot listen to signals; the run signal still works.
    }
  }
  return removers;
}

/** Connects, or explains how to start a broker. */
export async function connectOrExplain<T>(p: Promise<T>, address: string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new StreamError(
      `cannot connect to the Kafka broker at ${address}: ${(e as Error).message}. ` +
        "Start one with `sa up` (or `sa broker`), or set SA_BROKER / brokerAddress.",
      { cause: e },
    );
  }
}

/** "topic:partition" → [topic, partition]. */
export function splitTp(tp: string): [string, number] {
  const i = tp.lastIndexOf(":");
  return [tp.slice(0, i), Number(tp.slice(i + 1))];
}
