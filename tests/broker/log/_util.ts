/** Shared helpers for storage tests: temp data dirs, a capturing logger, batch builders. */
import { Logger } from "../../../lib/util/log.ts";
import { LogManager, type LogManagerOptions } from "../../../lib/broker/log/manager.ts";
import { buildBatch, type BuildBatchOptions } from "../../../lib/kafka/protocol/record_batch.ts";
import { decodeRecords, readBatchHeader } from "../../../lib/kafka/protocol/record_batch.ts";
import { KafkaError } from "../../../lib/kafka/protocol/errors.ts";

/** A logger whose lines are kept in `lines`. */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger("test", "DEBUG", (l) => lines.push(l)), lines };
}

/** Opens a manager on a fresh temp dir (or `dataDir`) with background maintenance off. */
export async function openManager(
  over: Partial<LogManagerOptions> = {},
): Promise<{ logs: LogManager; dataDir: string; lines: string[] }> {
  const dataDir = over.dataDir ?? Deno.makeTempDirSync({ prefix: "sa-log-test-" });
  const { logger, lines } = captureLogger();
  const logs = await LogManager.open({
    dataDir,
    defaultPartitions: 1,
    fsync: "interval",
    fsyncIntervalMs: 1000,
    maintenanceIntervalMs: 0,
    logger,
    ...over,
  });
  return { logs, dataDir, lines };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A batch of string key/value records. */
export function batch(
  kvs: [string | null, string | null][],
  opts: BuildBatchOptions & { timestamp?: number } = {},
): Uint8Array {
  return buildBatch(
    kvs.map(([k, v]) => ({
      key: k === null ? null : enc.encode(k),
      value: v === null ? null : enc.encode(v),
      timestamp: opts.timestamp,
    })),
    opts,
  );
}

/** Decodes concatenated stored batches into [offset, key, value] rows. */
export function rows(bytes: Uint8Array): [number, string | null, string | null][] {
  const out: [number, string | null, string | null][] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const b = bytes.subarray(pos);
    const h = readBatchHeader(b);
    const one = b.subarray(0, 12 + h.batchLength);
    for (const r of decodeRecords(one, h)) {
      out.push([r.offset, r.key && dec.decode(r.key), r.value && dec.decode(r.value)]);
    }
    pos += 12 + h.batchLength;
  }
  return out;
}

/** Runs fn and returns the KafkaError name it throws; fails if it does not throw one. */
export function kafkaErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof KafkaError) return e.info.name;
    throw e;
  }
  throw new Error("expected a KafkaError, nothing was thrown");
}

/** Reads every batch from `from` to the HWM (a read stops at a segment end), as rows. */
export function readAll(
  p: { read(o: number, m: number, i: 0 | 1): { records: Uint8Array }; highWatermark: number },
  from = 0,
): [number, string | null, string | null][] {
  const out: [number, string | null, string | null][] = [];
  let at = from;
  while (at < p.highWatermark) {
    const bytes = p.read(at, 1 << 20, 0).records;
    if (bytes.length === 0) break;
    let pos = 0;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    while (pos < bytes.length) {
      const len = 12 + dv.getInt32(pos + 8);
      at = Number(dv.getBigInt64(pos)) + dv.getInt32(pos + 23) + 1;
      pos += len;
    }
    out.push(...rows(bytes).filter((r) => r[0] >= from));
  }
  return out;
}
