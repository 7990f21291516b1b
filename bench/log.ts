/**
 * Micro-benchmark of the broker's storage layer (no network): append and read throughput of
 * one partition. Prints figures; it is not a test.
 *
 *   deno run -A bench/log.ts [--mb 256] [--batch-kb 16] [--fsync interval|always]
 */
import { parseArgs } from "node:util";
import { Logger } from "../lib/util/log.ts";
import { LogManager } from "../lib/broker/log/manager.ts";
import { buildBatch } from "../lib/kafka/protocol/record_batch.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    mb: { type: "string", default: "256" },
    "batch-kb": { type: "string", default: "16" },
    fsync: { type: "string", default: "interval" },
  },
});
const totalBytes = Number(values.mb) * 1024 * 1024;
const recSize = 100;
const perBatch = Math.max(1, Math.floor((Number(values["batch-kb"]) * 1024) / (recSize + 10)));
const fsync = values.fsync === "always" ? "always" : "interval";

const dataDir = Deno.makeTempDirSync({ prefix: "sa-bench-log-" });
const logs = await LogManager.open({
  dataDir,
  defaultPartitions: 1,
  fsync,
  logger: new Logger("bench", "WARN"),
  maintenanceIntervalMs: 0,
});
try {
  logs.createTopic("bench", 1);
  const p = logs.partition("bench", 0)!;
  const value = new Uint8Array(recSize).fill(0x61);
  const template = buildBatch(
    Array.from({ length: perBatch }, (_, i) => ({ key: `key-${i}`, value })),
  );
  const n = Math.ceil(totalBytes / template.length);
  let t0 = performance.now();
  for (let i = 0; i < n; i++) p.append(template);
  const appended = (performance.now() - t0) / 1000;
  logs.flushAll();
  let secs = (performance.now() - t0) / 1000;
  const bytes = n * template.length;
  const fmt = (x: number) => x.toFixed(1).padStart(9);
  console.log(
    `append  fsync=${fsync} batch=${template.length} B x ${n}: ${
      fmt(bytes / 2 ** 20 / appended)
    } MB/s ` +
      `${fmt(n * perBatch / appended / 1e6)} M records/s ${fmt(n / appended / 1000)} k batches/s`,
  );
  console.log(
    `append  including the final fdatasync:            ${fmt(bytes / 2 ** 20 / secs)} MB/s`,
  );
  for (const maxBytes of [1 << 20, 50 << 20]) {
    t0 = performance.now();
    let offset = 0;
    let read = 0;
    while (offset < p.highWatermark) {
      const r = p.read(offset, maxBytes, 1);
      read += r.records.length;
      // Next offset: last batch's base + lastOffsetDelta + 1.
      const dv = new DataView(r.records.buffer, r.records.byteOffset, r.records.byteLength);
      let pos = 0;
      let last = 0;
      while (pos < r.records.length) {
        last = pos;
        pos += 12 + dv.getInt32(pos + 8);
      }
      offset = Number(dv.getBigInt64(last)) + dv.getInt32(last + 23) + 1;
    }
    secs = (performance.now() - t0) / 1000;
    console.log(
      `read    maxBytes=${(maxBytes / 2 ** 20).toFixed(0).padStart(2)} MiB read_committed: ` +
        `${fmt(read / 2 ** 20 / secs)} MB/s`,
    );
  }
  // Latency of one small append with fdatasync before it returns (acks=all on fsync=always).
  const always = await LogManager.open({
    dataDir: dataDir + "/always",
    defaultPartitions: 1,
    fsync: "always",
    logger: new Logger("bench", "WARN"),
    maintenanceIntervalMs: 0,
  });
  try {
    always.createTopic("lat", 1);
    const q = always.partition("lat", 0)!;
    const small = buildBatch([{ key: "k", value }]);
    const lat: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      q.append(small);
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    const pct = (x: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * x))].toFixed(3);
    console.log(
      `append  fsync=always ${small.length} B batch latency: p50 ${pct(0.5)} ms, p99 ${
        pct(0.99)
      } ms, max ${lat[lat.length - 1].toFixed(3)} ms`,
    );
  } finally {
    await always.close();
  }
} finally {
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
}
