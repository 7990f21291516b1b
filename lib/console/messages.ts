/**
 * Messages of a topic: browse (all partitions or one; from the oldest, the newest, an offset or
 * a timestamp; up to a count; text and JavaScript filters), produce and re-produce, NDJSON
 * export and import, one record's whole value for download, and the dead-letter replay.
 *
 * @module
 */
import { ApiError, type ConsoleContext } from "./_context.ts";
import type { RawRecord } from "../cli/_cluster.ts";
import { JsFilter } from "./_filter.ts";
import {
  filterInput,
  fromNdjson,
  matchesText,
  type NdjsonRecord,
  type ShownMessage,
  showRecord,
  toNdjson,
} from "./_decode.ts";
import { checkTopicName } from "./topics.ts";

/** Browse parameters (the query string of GET /api/topics/:t/messages). */
export interface BrowseRequest {
  partition?: number;
  start?: "oldest" | "newest" | "offset" | "timestamp";
  offset?: number;
  /** Epoch ms or an ISO date. */
  timestamp?: number | string;
  max?: number;
  /** Case-insensitive text in key, value or headers. */
  q?: string;
  /** A JavaScript predicate, run in a Worker with no permissions. */
  filter?: string;
}

/** What a browse found. */
export interface BrowseResult<M = ShownMessage> {
  messages: M[];
  /** Records read, matched or not. */
  scanned: number;
  elapsedMs: number;
  /** True when the scan stopped at its limit before the end. */
  partial: boolean;
}

/** The most messages one browse returns. */
export const MAX_BROWSE = 10_000;
/** The most records one browse reads. */
const SCAN_LIMIT = 500_000;
const SCAN_MS = 10_000;

/** Parses browse query parameters, with a one-line reason for a bad one. */
export function parseBrowse(params: URLSearchParams): BrowseRequest {
  const int = (name: string): number | undefined => {
    const v = params.get(name);
    if (v === null || v === "") return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) {
      throw new ApiError(400, `bad ${name} "${v}": expected an integer >= 0`);
    }
    return n;
  };
  const start = params.get("start") ?? "oldest";
  if (!["oldest", "newest", "offset", "timestamp"].includes(start)) {
    throw new ApiError(400, `bad start "${start}": expected oldest, newest, offset or timestamp`);
  }
  return {
    partition: int("partition"),
    start: start as BrowseRequest["start"],
    offset: int("offset"),
    timestamp: params.get("timestamp") ?? undefined,
    max: int("max"),
    q: params.get("q") || undefined,
    filter: params.get("filter") || undefined,
  };
}

function parseTime(t: number | string | undefined): number {
  if (typeof t === "number") return t;
  if (t === undefined || t === "") throw new ApiError(400, "start=timestamp needs a timestamp");
  const ms = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
  if (!Number.isFinite(ms)) {
    throw new ApiError(
      400,
      `bad timestamp "${t}": expected epoch ms or an ISO date (2024-05-09T12:00:00Z)`,
    );
  }
  return ms;
}

/** Reads matching records (raw); {@link browse} shows them. */
export async function browseRaw(
  ctx: ConsoleContext,
  topic: string,
  req: BrowseRequest,
): Promise<BrowseResult<RawRecord>> {
  checkTopicName(topic);
  const t0 = performance.now();
  const max = Math.min(req.max ?? 100, MAX_BROWSE);
  if (max < 1) throw new ApiError(400, "max must be at least 1");
  const start = req.start ?? "oldest";
  if (start === "offset" && req.offset === undefined) {
    throw new ApiError(400, "start=offset needs an offset");
  }
  const ms = start === "timestamp" ? parseTime(req.timestamp) : 0;
  const filter = req.filter ? await JsFilter.create(req.filter) : undefined;
  try {
    return await ctx.run(async (admin, reader) => {
      if (!(await admin.listTopics()).includes(topic)) {
        throw new ApiError(404, `no topic "${topic}" on ${ctx.address}`);
      }
      let ranges = (await reader.ranges([topic])).get(topic) ?? [];
      if (req.partition !== undefined) {
        ranges = ranges.filter((r) => r.partition === req.partition);
        if (!ranges.length) {
          throw new ApiError(404, `topic "${topic}" has no partition ${req.partition}`);
        }
      }
      const at = start === "timestamp" ? await reader.offsetsForTime(topic, ms) : undefined;
      const found: RawRecord[] = [];
      let scanned = 0;
      let partial = false;
      for (const r of ranges) {
        let pos: number;
        if (start === "oldest") pos = r.low;
        else if (start === "newest") pos = Math.max(r.low, r.high - max);
        else if (start === "offset") pos = Math.min(Math.max(req.offset!, r.low), r.high);
        else pos = (at!.get(r.partition) ?? -1) < 0 ? r.high : at!.get(r.partition)!;
        let matched = 0;
        while (pos < r.high && matched < max) {
          if (scanned >= SCAN_LIMIT || performance.now() - t0 > SCAN_MS) {
            partial = true;
            break;
          }
          const { records } = await reader.read(topic, r.partition, pos, 1 << 20);
          if (!records.length) break;
          pos = records[records.length - 1].offset + 1;
          scanned += records.length;
          let batch = req.q ? records.filter((x) => matchesText(x, req.q!)) : records;
          if (filter && batch.length) {
            const ok = await filter.test(batch.map(filterInput));
            batch = batch.filter((_, i) => ok[i]);
          }
          for (const x of batch) {
            if (matched >= max) break;
            found.push(x);
            matched++;
          }
        }
      }
      found.sort((a, b) =>
        a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset
      );
      const messages = start === "newest" ? found.slice(-max) : found.slice(0, max);
      return { messages, scanned, partial, elapsedMs: Math.round(performance.now() - t0) };
    });
  } finally {
    filter?.close();
  }
}

/** Browses a topic; messages as the page shows them. */
export async function browse(
  ctx: ConsoleContext,
  topic: string,
  req: BrowseRequest,
): Promise<BrowseResult> {
  const r = await browseRaw(ctx, topic, req);
  return { ...r, messages: r.messages.map(showRecord) };
}

/** Browses and writes NDJSON (one record per line), for export. */
export async function exportNdjson(
  ctx: ConsoleContext,
  topic: string,
  req: BrowseRequest,
): Promise<string> {
  const r = await browseRaw(ctx, topic, req);
  return r.messages.map((m) => JSON.stringify(toNdjson(m)) + "\n").join("");
}

/** One record's whole value (for the download of a truncated one). */
export async function recordValue(
  ctx: ConsoleContext,
  topic: string,
  partition: number,
  offset: number,
): Promise<Uint8Array | null> {
  checkTopicName(topic);
  return await ctx.run(async (_admin, reader) => {
    const range = (await reader.ranges([topic])).get(topic)?.find((r) => r.partition === partition);
    if (!range) throw new ApiError(404, `topic "${topic}" has no partition ${partition}`);
    if (offset < range.low || offset >= range.high) {
      throw new ApiError(404, `no record at ${topic}[${partition}]@${offset}`);
    }
    const { records } = await reader.read(topic, partition, offset, 64 << 20);
    const r = records[0];
    if (!r || r.offset !== offset) {
      throw new ApiError(404, `no record at ${topic}[${partition}]@${offset}`);
    }
    return r.value;
  });
}

/** A message to produce (POST /api/topics/:t/messages). */
export interface ProduceRequest {
  key?: string | null;
  value?: string | null;
  headers?: Record<string, string>;
  partition?: number;
  /** Epoch ms; default now. */
  timestamp?: number;
}

/** Produces records; returns where they went. */
async function send(
  ctx: ConsoleContext,
  topic: string,
  records: ReturnType<typeof fromNdjson>[],
): Promise<{ partition: number; offset: number }[]> {
  checkTopicName(topic);
  return await ctx.run(async (admin) => {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new ApiError(404, `no topic "${topic}" on ${ctx.address}`);
    }
    const producer = ctx.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const out: { partition: number; offset: number }[] = [];
      for (let i = 0; i < records.length; i += 1000) {
        const res = await producer.send({
          topic,
          messages: records.slice(i, i + 1000).map((r) => ({
            key: r.key === null ? null : Buffer.from(r.key),
            value: r.value === null ? null : Buffer.from(r.value),
            partition: r.partition,
            timestamp: r.timestamp === undefined ? undefined : String(r.timestamp),
            headers: Object.fromEntries(
              r.headers.map((h) => [h.key, h.value === null ? "" : Buffer.from(h.value)]),
            ),
          })),
        });
        for (const x of res) out.push({ partition: x.partition, offset: Number(x.baseOffset) });
      }
      return out;
    } finally {
      await producer.disconnect().catch(() => {});
    }
  });
}

const enc = new TextEncoder();

/** Produces one message. */
export async function produce(
  ctx: ConsoleContext,
  topic: string,
  req: ProduceRequest,
): Promise<{ partition: number; offset: number }> {
  if (typeof req !== "object" || req === null) throw new ApiError(400, "expected a JSON object");
  if (req.partition !== undefined && (!Number.isInteger(req.partition) || req.partition < 0)) {
    throw new ApiError(400, `bad partition "${req.partition}"`);
  }
  const [r] = await send(ctx, topic, [{
    key: req.key == null ? null : enc.encode(String(req.key)),
    value: req.value == null ? null : enc.encode(String(req.value)),
    headers: Object.entries(req.headers ?? {}).map(([key, v]) => ({
      key,
      value: enc.encode(String(v)),
    })),
    partition: req.partition,
    timestamp: req.timestamp,
  }]);
  return r;
}

/** Produces NDJSON records (from export) keeping keys, headers and timestamps. */
export async function importNdjson(
  ctx: ConsoleContext,
  topic: string,
  text: string,
  keepPartitions = false,
): Promise<{ imported: number }> {
  const records: ReturnType<typeof fromNdjson>[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    try {
      const r = fromNdjson(JSON.parse(lines[i]) as NdjsonRecord);
      if (!keepPartitions) delete r.partition;
      records.push(r);
    } catch (err) {
      throw new ApiError(400, `line ${i + 1}: ${err instanceof Error ? err.message : err}`);
    }
  }
  if (!records.length) throw new ApiError(400, "nothing to import: no NDJSON lines");
  await send(ctx, topic, records);
  return { imported: records.length };
}

/**
 * Sends a dead-letter topic's messages back to `target` (keys, headers and timestamps kept),
 * from its oldest on, at most `max`.
 */
export async function replay(
  ctx: ConsoleContext,
  dlq: string,
  target: string,
  max = MAX_BROWSE,
): Promise<{ replayed: number }> {
  checkTopicName(target);
  const r = await browseRaw(ctx, dlq, { start: "oldest", max });
  if (!r.messages.length) return { replayed: 0 };
  await send(
    ctx,
    target,
    r.messages.map((m) => ({
      key: m.key,
      value: m.value,
      headers: m.headers,
      timestamp: m.timestamp,
    })),
  );
  return { replayed: r.messages.length };
}
