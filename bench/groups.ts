/**
 * Group and transaction coordinator figures (`deno run -A bench/groups.ts`):
 * - OffsetCommit through the coordinator: commits/s, sequential and 64 concurrent, with the
 *   offsets journal synced per commit (fsync "always") and in the background ("interval");
 * - kafkajs consumer group timings on an in-process broker: first member consuming, a second
 *   member joining (rebalance, bounded by the 3 s heartbeat interval), a member leaving;
 * - kafkajs transactions/s (one message + EndTxn commit each), both fsync modes.
 *
 * @module
 */
import { Kafka, logLevel } from "kafkajs";
import { GroupCoordinator } from "../lib/broker/groups/coordinator.ts";
import { startBroker } from "../lib/broker/mod.ts";
import { Logger } from "../lib/util/log.ts";
import { num, percentile, table } from "./_util.ts";
import { filterKafkajsTimerWarning } from "../lib/stream/kafka/_kafka.ts";

// kafkajs' idle timers would print a Node TimeoutNegativeWarning into the figures.
filterKafkajsTimerWarning();

const quiet = new Logger("bench", "SILENT");

async function commitRate(fsync: "always" | "interval", concurrency: number, n: number) {
  const dir = await Deno.makeTempDir({ prefix: "sa-bench-groups-" });
  const c = await GroupCoordinator.open({ dataDir: dir, logger: quiet, fsync });
  const one = (i: number) =>
    c.commitOffsets("g", -1, "", [{ topic: "t", partition: i % 8, offset: i, metadata: null }]);
  const t0 = performance.now();
  for (let i = 0; i < n; i += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, n - i) }, (_, k) => one(i + k)));
  }
  const s = (performance.now() - t0) / 1000;
  await c.close();
  await Deno.remove(dir, { recursive: true });
  return n / s;
}

async function groupTimings() {
  const dir = await Deno.makeTempDir({ prefix: "sa-bench-groups-" });
  const broker = await startBroker({ port: 0, dataDir: dir, logger: quiet, defaultPartitions: 4 });
  const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "bench-g", numPartitions: 4 }] });
  const joined = new Map<string, number>();
  const member = (name: string) => {
    const c = kafka.consumer({ groupId: "bench-group", maxWaitTimeInMs: 100 });
    c.on(c.events.GROUP_JOIN, () => joined.set(name, performance.now()));
    return c;
  };
  const until = async (cond: () => boolean) => {
    while (!cond()) await new Promise((r) => setTimeout(r, 5));
  };
  const run = async (c: ReturnType<typeof member>) => {
    await c.connect();
    await c.subscribe({ topic: "bench-g", fromBeginning: true });
    await c.run({ eachMessage: () => Promise.resolve() });
  };
  const a = member("a"), b = member("b");
  let t0 = performance.now();
  await run(a);
  await until(() => joined.has("a"));
  const first = joined.get("a")! - t0;
  joined.clear();
  t0 = performance.now();
  await run(b);
  await until(() => joined.has("a") && joined.has("b"));
  const second = Math.max(joined.get("a")!, joined.get("b")!) - t0;
  joined.clear();
  t0 = performance.now();
  await b.disconnect();
  await until(() => joined.has("a"));
  const leave = joined.get("a")! - t0;
  await a.disconnect();
  await admin.disconnect();
  await broker.close();
  await Deno.remove(dir, { recursive: true });
  return { first, second, leave };
}

async function txnRate(fsync: "always" | "interval", n: number) {
  const dir = await Deno.makeTempDir({ prefix: "sa-bench-groups-" });
  const broker = await startBroker({ port: 0, dataDir: dir, logger: quiet, fsync });
  const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "bench-tx", numPartitions: 1 }] });
  const producer = kafka.producer({
    transactionalId: "bench",
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    const tx = await producer.transaction();
    await tx.send({ topic: "bench-tx", messages: [{ value: `m${i}` }] });
    await tx.commit();
    lat.push(performance.now() - s);
  }
  const secs = (performance.now() - t0) / 1000;
  await producer.disconnect();
  await admin.disconnect();
  await broker.close();
  await Deno.remove(dir, { recursive: true });
  return { rate: n / secs, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

const rows: string[][] = [];
for (const fsync of ["interval", "always"] as const) {
  for (const conc of [1, 64]) {
    const n = fsync === "always" && conc === 1 ? 2000 : 20_000;
    rows.push([
      `OffsetCommit fsync=${fsync} concurrency=${conc}`,
      `${num(await commitRate(fsync, conc, n))} commits/s`,
    ]);
  }
}
const g = await groupTimings();
rows.push(["kafkajs first member consuming (connect → GROUP_JOIN)", `${num(g.first)} ms`]);
rows.push(["kafkajs second member joins (rebalance of both)", `${num(g.second)} ms`]);
rows.push(["kafkajs member leaves (remaining member rejoined)", `${num(g.leave)} ms`]);
for (const fsync of ["interval", "always"] as const) {
  const t = await txnRate(fsync, 300);
  rows.push([
    `kafkajs transactions (1 msg + commit) fsync=${fsync}`,
    `${num(t.rate)} txn/s, p50 ${num(t.p50, 1)} ms, p99 ${num(t.p99, 1)} ms`,
  ]);
}
console.log(table(["measure", "figure"], rows));
