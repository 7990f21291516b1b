/**
 * Probe: creating many topics (default 10,000, one partition each) through the log manager,
 * fsync "always". Prints the total time and the time of the last thousand, which grows with
 * the topic count when each creation rewrites the whole topic table.
 *
 *   deno run -A bench/broker_topics.ts [count]
 *
 * @module
 */
import { LogManager } from "../lib/broker/log/manager.ts";
import { Logger } from "../lib/util/log.ts";

const count = Number(Deno.args[0] ?? 10_000);
const dataDir = await Deno.makeTempDir({ prefix: "sa-bench-topics-" });
const logs = await LogManager.open({
  dataDir,
  defaultPartitions: 1,
  fsync: "always",
  logger: new Logger("bench", "SILENT"),
  maintenanceIntervalMs: 0,
});
const t0 = performance.now();
let lastK = t0;
let firstThousand = 0;
for (let i = 0; i < count; i++) {
  logs.createTopic(`topic-${i}`, 1);
  if ((i + 1) % 1000 === 0) {
    const now = performance.now();
    if (i + 1 === 1000) firstThousand = now - lastK;
    if (i + 1 === count) {
      console.log(
        `created ${count} topics in ${((now - t0) / 1000).toFixed(2)} s ` +
          `(first 1000: ${firstThousand.toFixed(0)} ms, last 1000: ${(now - lastK).toFixed(0)} ms)`,
      );
    }
    lastK = now;
  }
}
const t1 = performance.now();
await logs.close();
const reopened = await LogManager.open({
  dataDir,
  defaultPartitions: 1,
  fsync: "always",
  logger: new Logger("bench", "SILENT"),
  maintenanceIntervalMs: 0,
});
console.log(
  `reopened with ${reopened.listTopics().length} topics in ${
    ((performance.now() - t1) / 1000).toFixed(2)
  } s (close included)`,
);
await reopened.close();
await Deno.remove(dataDir, { recursive: true });
