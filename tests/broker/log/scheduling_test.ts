/**
 * Retention and compaction on their configured timers (log.retention.check.interval.ms,
 * log.cleaner.backoff.ms) with per-topic retention.ms and segment.ms: the work happens on
 * time with short periods, instead of on the fixed 30 s of before.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { batch, openManager, readAll } from "./_util.ts";

/** Resolves when `cond` holds, polling every 10 ms; rejects naming `what` after `limitMs`. */
async function until(cond: () => boolean, what: string, limitMs: number): Promise<number> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > limitMs) throw new Error(`${what} within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - start;
}

Deno.test("retention runs every log.retention.check.interval.ms: expired data goes on time", async () => {
  const { logs, dataDir } = await openManager({
    retentionCheckIntervalMs: 100,
    cleanerBackoffMs: 0,
  });
  try {
    logs.createTopic("short", 1, { "retention.ms": "300" });
    const p = logs.partition("short", 0)!;
    const appended = performance.now();
    p.append(batch([["k", "v"]], { timestamp: Date.now() }));
    const waited = await until(() => p.logStartOffset === 1, "retention deleted offset 0", 3000);
    // Never before retention.ms; at the latest one check interval after (plus scheduling).
    ok(performance.now() - appended >= 290, `deleted after ${waited} ms, before retention.ms`);
    strictEqual(p.highWatermark, 1);
  } finally {
    await logs.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("the cleaner compacts every log.cleaner.backoff.ms; segment.ms rolls segments by age", async () => {
  const { logs, dataDir } = await openManager({
    retentionCheckIntervalMs: 0,
    cleanerBackoffMs: 50,
  });
  try {
    logs.createTopic("cmp", 1, { "cleanup.policy": "compact", "segment.ms": "100" });
    const p = logs.partition("cmp", 0)!;
    const pause = () => new Promise((r) => setTimeout(r, 120));
    p.append(batch([["a", "a1"]]));
    await pause();
    p.append(batch([["a", "a2"]])); // segment.ms passed: a new segment
    await pause();
    // And another: a2 is in a closed segment now, so the cleaner may drop a1 (it never
    // cleans the active segment, so without segment.ms rolls a1 would stay).
    p.append(batch([["b", "b1"]]));
    await until(() => readAll(p)[0][0] !== 0, "the cleaner removed a1", 3000);
    deepStrictEqual(readAll(p), [[1, "a", "a2"], [2, "b", "b1"]]);
  } finally {
    await logs.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("an altered retention.ms or cleanup.policy applies from the next check", async () => {
  const { logs, dataDir } = await openManager({
    retentionCheckIntervalMs: 50,
    cleanerBackoffMs: 0,
  });
  try {
    logs.createTopic("alt", 1);
    const p = logs.partition("alt", 0)!;
    p.append(batch([["k", "v"]], { timestamp: Date.now() - 10_000 }));
    await new Promise((r) => setTimeout(r, 150));
    strictEqual(p.logStartOffset, 0, "kept under the default retention.ms of 7 days");
    logs.alterConfigs("alt", { "retention.ms": "1000" });
    await until(() => p.logStartOffset === 1, "retention applied the altered retention.ms", 3000);
  } finally {
    await logs.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
