import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { batch, openManager, readAll } from "./_util.ts";
import type { LogManager } from "../../../lib/broker/log/manager.ts";
import { mulberry32 as rng } from "../../../lib/util/prng.ts";

Deno.test("model: random appends, reads, rolls, deleteRecords, retention and reopen match a simple model", async () => {
  for (const seed of [1, 2, 3]) {
    const rand = rng(seed);
    const now = 1_000_000_000;
    let { logs, dataDir } = await openManager({ now: () => now });
    logs.createTopic("m", 1, { "segment.bytes": "400", "retention.bytes": "3000" });
    const model: [number, string, string][] = [];
    let start = 0;
    const reopen = async (): Promise<LogManager> => {
      await logs.close();
      ({ logs } = await openManager({ dataDir, now: () => now }));
      return logs;
    };
    for (let step = 0; step < 300; step++) {
      const p = logs.partition("m", 0)!;
      const r = rand();
      if (r < 0.6) {
        const n = 1 + Math.floor(rand() * 4);
        const kvs: [string, string][] = Array.from({ length: n }, (_, i) => [
          `k${model.length + i}`,
          "v".repeat(Math.floor(rand() * 60)),
        ]);
        const base = p.append(batch(kvs, { timestamp: now })).baseOffset;
        strictEqual(base, model.length, `seed ${seed} step ${step}`);
        kvs.forEach(([k, v], i) => model.push([base + i, k, v]));
      } else if (r < 0.7) {
        const to = start + Math.floor(rand() * (model.length - start + 1));
        const expected = Math.max(start, to);
        start = p.deleteRecords(to);
        strictEqual(start, expected);
      } else if (r < 0.8) {
        logs.runMaintenance(now);
        start = p.logStartOffset;
      } else if (r < 0.9) {
        await reopen();
      } else {
        const from = start + Math.floor(rand() * (model.length - start + 1));
        const q = logs.partition("m", 0)!;
        const got = readAll(q, from);
        deepStrictEqual(got, model.slice(from), `seed ${seed} step ${step} from ${from}`);
      }
      const q = logs.partition("m", 0)!;
      strictEqual(q.highWatermark, model.length);
      strictEqual(q.logStartOffset, start);
    }
    deepStrictEqual(readAll(logs.partition("m", 0)!, start), model.slice(start));
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});

Deno.test("model: random keyed appends with compaction and reopen keep the latest value per key", async () => {
  for (const seed of [7, 8]) {
    const rand = rng(seed);
    const now = 1_000_000_000;
    let { logs, dataDir } = await openManager({ now: () => now });
    logs.createTopic("mc", 1, { "cleanup.policy": "compact", "segment.bytes": "500" });
    const model: [number, string, string | null][] = [];
    for (let step = 0; step < 300; step++) {
      const p = logs.partition("mc", 0)!;
      const r = rand();
      if (r < 0.7) {
        const n = 1 + Math.floor(rand() * 3);
        const kvs: [string, string | null][] = Array.from({ length: n }, () => [
          `key${Math.floor(rand() * 12)}`,
          rand() < 0.1 ? null : `v${step}`,
        ]);
        const base = p.append(batch(kvs, { timestamp: now })).baseOffset;
        kvs.forEach(([k, v], i) => model.push([base + i, k, v]));
      } else if (r < 0.85) {
        logs.runMaintenance(now);
      } else {
        await logs.close();
        ({ logs } = await openManager({ dataDir, now: () => now }));
      }
      const got = readAll(logs.partition("mc", 0)!);
      // Every returned record is the model's record at that offset, in offset order.
      for (let i = 0; i < got.length; i++) {
        deepStrictEqual(got[i], model[got[i][0]], `seed ${seed} step ${step}`);
        if (i > 0) strictEqual(got[i][0] > got[i - 1][0], true);
      }
      // The latest record of every key is present (tombstones are within delete.retention.ms).
      const latest = new Map<string, number>();
      for (const [o, k] of model) latest.set(k, o);
      const offsets = new Set(got.map((g) => g[0]));
      for (const [k, o] of latest) strictEqual(offsets.has(o), true, `seed ${seed} key ${k}`);
    }
    logs.runMaintenance(now);
    const left = readAll(logs.partition("mc", 0)!).length;
    strictEqual(left < model.length / 2, true, `compaction kept ${left} of ${model.length}`);
    await logs.close();
    Deno.removeSync(dataDir, { recursive: true });
  }
});
