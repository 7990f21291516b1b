/**
 * Produce (key 0), v0–7: appends one RecordBatch v2 per partition, exactly as received.
 *
 * v0–2 are served although no client we target sends them: librdkafka enables gzip, snappy
 * and lz4 only when the broker's Produce range includes v0 (`rdkafka_feature.c`), and with
 * 3–7 it silently produces uncompressed batches. v0–2 requests are read without
 * `transactional_id` (added in v3); a message set in the old formats (magic 0/1), which Kafka
 * would convert, is refused per partition with UNSUPPORTED_FOR_MESSAGE_FORMAT (v0–2) or
 * INVALID_RECORD (v3+, as Kafka does). zstd needs v7 (UNSUPPORTED_COMPRESSION_TYPE below).
 *
 * With fsync "always", appends are made at once but acknowledged only after a group-commit
 * fdatasync (off the event loop) covers them; the handler is `pipelined`, so the connection
 * handles the client's next produce meanwhile and one fdatasync serves many requests.
 *
 * acks 0 sends no response (and, as Kafka does, a failed acks=0 request closes the connection
 * so the client notices); acks 1 and -1 are the same on a single node. Errors are reported per
 * partition. Unknown topics are auto-created when the broker allows it.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { Off } from "../../kafka/protocol/record_batch.ts";
import {
  ErrorCode,
  type ErrorInfo,
  KafkaError,
  ProtocolError,
} from "../../kafka/protocol/errors.ts";
import type { ApiHandler, RequestContext } from "./_types.ts";
import { isError, resolveTopic } from "./_topics.ts";

interface PartitionResult {
  index: number;
  error: ErrorInfo;
  baseOffset: number;
  logAppendTime: number;
  logStartOffset: number;
}

/** Bytes before `records` in a RecordBatch v2 header; a shorter batch cannot be valid. */
const BATCH_HEADER_BYTES = 61;
const ATTR_TRANSACTIONAL = 0x10;
const ATTR_COMPRESSION = 0x07;
const ZSTD = 4;
/** Position of the magic byte, the same in message sets v0/v1 and RecordBatch v2. */
const MAGIC_AT = 16;

function failed(index: number, error: ErrorInfo): PartitionResult {
  return { index, error, baseOffset: -1, logAppendTime: -1, logStartOffset: -1 };
}

/** The Produce handler. */
export const handler: ApiHandler = {
  key: 0,
  name: "Produce",
  minVersion: 0,
  maxVersion: 7,
  pipelined: true,
  // Appends write the batches out at once (no copy kept); the response is built from numbers.
  frameReusable: true,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const transactionalId = v >= 3 ? body.nullableString() : null;
    const acks = body.int16();
    body.int32(); // timeout_ms: appends complete synchronously on a single node
    const topics = body.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
    }));

    const results: { name: string; partitions: PartitionResult[] }[] = [];
    const pending: Promise<void>[] = [];
    for (const t of topics) {
      results.push({
        name: t.name,
        partitions: produceTopic(ctx, v, t, acks, transactionalId, pending),
      });
    }

    if (acks === 0) {
      const firstError = results.flatMap((t) =>
        t.partitions.filter((p) =>
          p.error !== ErrorCode.NONE
        ).map((p) => ({ t, p }))
      )[0];
      if (firstError) {
        throw new ProtocolError(
          `acks=0 produce to ${firstError.t.name}-${firstError.p.index} failed with ` +
            `${firstError.p.error.name}; closing so the client notices`,
        );
      }
      return null;
    }
    if (pending.length > 0) return Promise.all(pending).then(() => encode(v, results));
    return encode(v, results);
  },
};

/** The response body for the version. */
function encode(
  v: number,
  results: { name: string; partitions: PartitionResult[] }[],
): Uint8Array {
  const w = new Writer(64 + results.length * 64);
  w.array(results, (w, t) => {
    w.string(t.name);
    w.array(t.partitions, (w, p) => {
      w.int32(p.index).int16(p.error.code).int64(p.baseOffset);
      if (v >= 2) w.int64(p.logAppendTime);
      if (v >= 5) w.int64(p.logStartOffset);
    });
  });
  if (v >= 1) w.int32(0); // throttle_time_ms
  return w.finish();
}

function produceTopic(
  ctx: RequestContext,
  v: number,
  t: { name: string; partitions: { index: number; records: Uint8Array | null }[] },
  acks: number,
  transactionalId: string | null,
  pending: Promise<void>[],
): PartitionResult[] {
  const broker = ctx.broker;
  if (acks !== 0 && acks !== 1 && acks !== -1) {
    return t.partitions.map((p) => failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS));
  }
  const topic = resolveTopic(broker, t.name, true, ctx.clientAddress);
  if (isError(topic)) return t.partitions.map((p) => failed(p.index, topic));
  return t.partitions.map((p) => {
    const log = broker.logs.partition(t.name, p.index);
    if (!log) return failed(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const records = p.records;
    if (records === null || records.length === 0) {
      return failed(p.index, ErrorCode.INVALID_RECORD);
    }
    if (records.length > MAGIC_AT && records[MAGIC_AT] < 2) {
      logReject(
        ctx,
        t.name,
        p.index,
        `message format v${records[MAGIC_AT]} (magic ${records[MAGIC_AT]}) in a Produce ` +
          `v${v} request: only RecordBatch v2 is stored, old formats are not converted`,
      );
      return failed(
        p.index,
        v >= 3 ? ErrorCode.INVALID_RECORD : ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
      );
    }
    if (records.length < BATCH_HEADER_BYTES) {
      logReject(ctx, t.name, p.index, `batch of ${records.length} bytes is truncated`);
      return failed(p.index, ErrorCode.CORRUPT_MESSAGE);
    }
    const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const batchBytes = view.getInt32(8) + 12;
    if (batchBytes < records.length) {
      // Kafka accepts exactly one batch per partition for magic 2.
      logReject(ctx, t.name, p.index, "more than one record batch for one partition");
      return failed(p.index, ErrorCode.INVALID_RECORD);
    }
    const attributes = view.getInt16(21);
    if (v < 7 && (attributes & ATTR_COMPRESSION) === ZSTD) {
      // Kafka's rule: a client that negotiated < v7 cannot be assumed to read zstd back.
      logReject(ctx, t.name, p.index, `zstd batch in a Produce v${v} request (needs v7)`);
      return failed(p.index, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    }
    const transactional = (attributes & ATTR_TRANSACTIONAL) !== 0;
    const producerId = Number(view.getBigInt64(43));
    if (transactional) {
      const epoch = view.getInt16(51);
      const error = transactionalId === null
        ? ErrorCode.INVALID_TXN_STATE.code
        : broker.txns.produceError(transactionalId, producerId, t.name, p.index, epoch);
      if (error === ErrorCode.INVALID_PRODUCER_EPOCH.code) {
        logReject(ctx, t.name, p.index, `producer ${producerId} epoch ${epoch} is fenced`);
        return failed(p.index, ErrorCode.INVALID_PRODUCER_EPOCH);
      }
      if (error !== 0) {
        logReject(
          ctx,
          t.name,
          p.index,
          `transactional batch from producer ${producerId} for a partition not added to ` +
            `transaction ${JSON.stringify(transactionalId)}`,
        );
        return failed(p.index, ErrorCode.INVALID_TXN_STATE);
      }
    }
    try {
      // The request frame is this handler's alone: no copy.
      const res = log.append(records, { deferSync: true, owned: true });
      warnIfPastRetention(ctx, t.name, p.index, log, Number(view.getBigInt64(35)), res.baseOffset);
      broker.stats.bytesIn += records.length;
      broker.stats.messagesIn += view.getInt32(Off.recordCount);
      const result: PartitionResult = {
        index: p.index,
        error: ErrorCode.NONE,
        baseOffset: res.baseOffset,
        logAppendTime: res.logAppendTime,
        logStartOffset: res.logStartOffset,
      };
      if (!log.isDurable) {
        // fsync "always": acknowledge once a group-commit fdatasync covers the batch.
        pending.push(
          log.durable().catch((err) => {
            broker.logger.error(
              `produce from ${ctx.clientAddress} to ${t.name}-${p.index} at offset ` +
                `${res.baseOffset} not durable: ${err instanceof Error ? err.message : err}`,
            );
            Object.assign(result, failed(p.index, ErrorCode.KAFKA_STORAGE_ERROR));
          }),
        );
      }
      return result;
    } catch (err) {
      if (err instanceof KafkaError) {
        logReject(ctx, t.name, p.index, err.message);
        return failed(p.index, err.info);
      }
      broker.logger.error(
        `produce from ${ctx.clientAddress} to ${t.name}-${p.index} failed: ` +
          `${err instanceof Error ? err.message : err}`,
      );
      return failed(p.index, ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  });
}

/** When each partition last warned about records already past retention (once a minute). */
const pastRetentionWarned = new WeakMap<object, number>();

/**
 * Records whose timestamps are already older than `retention.ms` (a replay of a 2024
 * recording, windows stamped with event time) are deleted by the next retention pass: say
 * so when they arrive rather than let the topic empty out silently.
 */
function warnIfPastRetention(
  ctx: RequestContext,
  topic: string,
  partition: number,
  log: object,
  maxTimestamp: number,
  baseOffset: number,
): void {
  const cfg = ctx.broker.logs.logConfig(topic);
  if (!cfg || !cfg.deletePolicy || cfg.retentionMs < 0 || cfg.logAppendTime) return;
  const now = Date.now();
  if (maxTimestamp < 0 || maxTimestamp >= now - cfg.retentionMs) return;
  const last = pastRetentionWarned.get(log);
  if (last !== undefined && now - last < 60_000) return;
  pastRetentionWarned.set(log, now);
  ctx.broker.logger.warn(
    `produce from ${ctx.clientAddress} to ${topic}-${partition} at offset ${baseOffset}: ` +
      `record times (newest ${new Date(maxTimestamp).toISOString()}) are already older than ` +
      `retention.ms=${cfg.retentionMs}, so retention will delete them; produce current times ` +
      `or set the topic's retention.ms=-1 (kept by size only)`,
  );
}

function logReject(ctx: RequestContext, topic: string, partition: number, why: string): void {
  ctx.broker.logger.warn(
    `rejected produce from ${ctx.clientAddress} to ${topic}-${partition}: ${why}`,
  );
}
