/**
 * Probe: compacting a large changelog partition in the background. Writes `--mib` MiB
 * (default 256) of 1 KiB records over `--keys` keys (default 1,000: almost everything goes) to
 * a compacted topic, then runs one background maintenance pass while a 1 ms timer measures
 * how long the event loop is held. Prints the pass time, the longest event-loop stall (and the
 * CPU time the process used during it) and the RSS growth. With `--keys 0` every record has its own key but one rewritten in every batch:
 * nearly everything survives, and every closed segment is rewritten almost whole.
 *
 *   deno run -A bench/compaction.ts [--mib 256] [--keys 1000] [--root path/to/other/checkout]
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mib: { type: "string", default: "256" },
    keys: { type: "string", default: "1000" },
    root: { type: "string", default: new URL("..", import.meta.url).pathname },
  },
});
const root = values.root!.replace(/\/$/, "");
const { LogManager } = await import(`${root}/lib/broker/log/manager.ts`);
const { buildBatch } = await import(`${root}/lib/kafka/protocol/record_batch.ts`);
const { Logger } = await import(`${root}/lib/util/log.ts`);

const rss = () => Deno.memoryUsage().rss / 1024 / 1024;
const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-compaction-" });
const logs = await LogManager.open({
  dataDir,
  defaultPartitions: 1,
  fsync: "interval",
  logger: new Logger("bench", "WARN"),
  maintenanceIntervalMs: 0,
});
logs.createTopic("changelog", 1, { "cleanup.policy": "compact" });
const log = logs.partition("changelog", 0)!;
const value = "v".repeat(1000);
const keys = Number(values.keys);
const batches = Number(values.mib) * 1024 / 100; // 100 records of ~1 KiB per batch
for (let b = 0; b < batches; b++) {
  log.append(
    buildBatch(
      Array.from({ length: 100 }, (_, i) => ({
        key: keys === 0 ? (i === 0 ? "hot" : `key-${b * 100 + i}`) : `key-${(b * 100 + i) % keys}`,
        value,
      })),
    ),
  );
}
await logs.flushAll();
const before = rss();
let maxGap = 0;
let maxGapCpu = 0;
let last = performance.now();
let lastCpu = process.cpuUsage();
// The process's CPU time during the longest stall tells work from waiting: a stall with
// little CPU in it waited for a core (on a shared machine) or for a blocking read or write.
const timer = setInterval(() => {
  const now = performance.now();
  const cpu = process.cpuUsage(lastCpu);
  if (now - last > maxGap) {
    maxGap = now - last;
    maxGapCpu = (cpu.user + cpu.system) / 1000;
  }
  last = now;
  lastCpu = process.cpuUsage();
}, 1);
let peak = before;
const sampler = setInterval(() => peak = Math.max(peak, rss()), 50);
const t0 = performance.now();
await logs.maintainInBackground();
const took = performance.now() - t0;
// Let the overdue tick run first: it measures a stall at the very end of the pass.
await new Promise((r) => setTimeout(r, 20));
clearInterval(timer);
clearInterval(sampler);
peak = Math.max(peak, rss());
console.log(
  `compacted ${values.mib} MiB (${log.segments.length} segment(s) left) in ${
    (took / 1000).toFixed(1)
  } s; ` +
    `longest event-loop stall ${maxGap.toFixed(0)} ms (${maxGapCpu.toFixed(0)} ms CPU in it); RSS ${
      before.toFixed(0)
    } -> peak ${peak.toFixed(0)} MiB (${root})`,
);
await logs.close();
await Deno.remove(dataDir, { recursive: true });
