/**
 * `InfluxDBSink`: writes rows as line protocol over HTTP, to InfluxDB 1.x (`/write?db=`) or
 * 2.x/3.x (`/api/v2/write?org=&bucket=`), in chunks of `batchSize` points per request, at
 * ms precision. Network errors and 5xx answers are retried with exponential backoff; 429 and
 * 503 (and retries exhausted) become a `SinkBackpressureError`, so the app pauses its input
 * and retries the checkpoint. Other 4xx answers (bad points, no such database, bad token)
 * cannot succeed later: they fail the checkpoint with InfluxDB's own message.
 *
 * @module
 */

import { StreamError } from "../errors.ts";

import { SinkBackpressureError } from "./backpressure.ts";
import { BatchingSink, type SinkBatch, type SinkItem } from "./batching_sink.ts";
import { type Point, toLine } from "./_line_protocol.ts";

/**
 * Options of {@link InfluxDBSink}.
 *
 * @example
 * ```ts
 * import type { InfluxDBSinkOptions } from "@sa/toolkit";
 * const v1: InfluxDBSinkOptions = { url: "http://127.0.0.1:8086", version: 1, database: "sensors", measurement: "g" };
 * const v2: InfluxDBSinkOptions = {
 *   url: "http://127.0.0.1:8086", version: 2, org: "course", bucket: "sensors", token: "…", measurement: "g",
 * };
 * ```
 */
export interface InfluxDBSinkOptions<T = Record<string, unknown>> {
  /** Base URL, e.g. `http://127.0.0.1:8086`. */
  url: string;
  /** API: 1 (`/write?db=`), 2 or 3 (`/api/v2/write`). Default 2. */
  version?: 1 | 2 | 3;
  /** v1: the database; v3: the database (used as the bucket). */
  database?: string;
  /** v2: the bucket (default `database`). */
  bucket?: string;
  /** v2: the organization. */
  org?: string;
  /** v2/v3 API token (`Authorization: Token …`); v1 with auth: use username/password. */
  token?: string;
  /** v1 credentials (basic auth). */
  username?: string;
  /** v1 credentials (basic auth). */
  password?: string;
  /** v1: create the database in `setup()` when missing (default true). */
  createDatabase?: boolean;
  /** Measurement name, or a function of the row. */
  measurement: string | ((value: T, key: unknown) => string);
  /** Value columns written as tags (strings); default none. */
  tags?: string[];
  /** Tag the message key under this name (default: not written). */
  keyTag?: string;
  /** Value columns written as fields; default every number, boolean and string not a tag. */
  fields?: string[];
  /** Point time in ms; default the message timestamp. */
  time?: (value: T, timestamp: number) => number;
  /** Points per HTTP request (default 5000). */
  batchSize?: number;
  /** Attempts per request before backpressure (default 4). */
  attempts?: number;
  /** First retry delay in ms, doubled per attempt (default 200). */
  backoffMs?: number;
  /** Per-request timeout in ms (default 10000). */
  timeoutMs?: number;
}

/** Counters of an {@link InfluxDBSink}. */
export interface InfluxDBSinkStats {
  /** Points written and acknowledged (HTTP 204). */
  points: number;
  /** Rows skipped for having no usable field. */
  skipped: number;
  /** Requests retried. */
  retries: number;
}

/**
 * Writes rows to InfluxDB. Each row is one point: `tags` and `keyTag` become tags, the rest
 * (or `fields`) fields; `null`, NaN and nested values are left out.
 *
 * @example Downsampled rows into InfluxDB 1.x
 * ```ts
 * import { Application, InfluxDBSink } from "@sa/toolkit";
 *
 * const app = new Application({ consumerGroup: "to-influx", autoOffsetReset: "earliest" });
 * app.dataframe(app.topic<{ "g-mean": number; end: number }>("table-data-10s")).sink(
 *   new InfluxDBSink({
 *     url: "http://127.0.0.1:8086",
 *     version: 1,
 *     database: "sensors",
 *     measurement: "gforce",
 *     keyTag: "session",
 *     time: (row) => row.end,
 *   }),
 * );
 * ```
 */
export class InfluxDBSink<T = Record<string, unknown>> extends BatchingSink<T> {
  /** Counters. */
  readonly stats: InfluxDBSinkStats = { points: 0, skipped: 0, retries: 0 };
  readonly #o: InfluxDBSinkOptions<T>;
  readonly #writeUrl: string;
  readonly #headers: Record<string, string>;

  /** Validates the options; nothing connects until `setup()`. */
  constructor(options: InfluxDBSinkOptions<T>) {
    super();
    this.#o = options;
    const version = options.version ?? 2;
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new StreamError(`InfluxDBSink: url "${options.url}" is not a URL`);
    }
    const path = base.pathname.replace(/\/$/, "");
    this.#headers = { "content-type": "text/plain; charset=utf-8" };
    if (version === 1) {
      if (!options.database) throw new StreamError("InfluxDBSink: version 1 needs a database");
      this.#writeUrl = `${base.origin}${path}/write?db=${
        encodeURIComponent(options.database)
      }&precision=ms`;
      if (options.username !== undefined) {
        this.#headers.authorization = `Basic ${
          btoa(`${options.username}:${options.password ?? ""}`)
        }`;
      }
    } else {
      const bucket = options.bucket ?? options.database;
      if (!bucket) throw new StreamError(`InfluxDBSink: version ${version} needs a bucket`);
      const q = new URLSearchParams({ bucket, precision: "ms" });
      if (options.org) q.set("org", options.org);
      this.#writeUrl = `${base.origin}${path}/api/v2/write?${q}`;
    }
    if (options.token) this.#headers.authorization = `Token ${options.token}`;
    if (!((options.batchSize ?? 5000) >= 1)) {
      throw new StreamError("InfluxDBSink: batchSize must be >= 1");
    }
  }

  /** Checks that InfluxDB answers (and creates the v1 database unless told not to). */
  async setup(): Promise<void> {
    const o = this.#o;
    const origin = new URL(o.url);
    const base = `${origin.origin}${origin.pathname.replace(/\/$/, "")}`;
    const ping = await this.#fetch(`${base}/ping`, { method: "GET" }).catch((e) => {
      throw new StreamError(`InfluxDB at ${o.url} is not reachable: ${(e as Error).message}`);
    });
    await ping.body?.cancel();
    if ((o.version ?? 2) === 1 && (o.createDatabase ?? true)) {
      const res = await this.#fetch(`${base}/query`, {
        method: "POST",
        headers: {
          ...this.#headers,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ q: `CREATE DATABASE "${o.database!.replace(/"/g, '\\"')}"` }),
      });
      const text = await res.text();
      if (!res.ok) {
        throw new StreamError(`InfluxDB: creating database ${o.database} failed: ${text.trim()}`);
      }
    }
  }

  /** The point of one row (undefined: no usable field). */
  #point(item: Pick<SinkItem<T>, "value" | "key" | "timestamp">): Point | undefined {
    const o = this.#o;
    const value = item.value as Record<string, unknown>;
    if (typeof value !== "object" || value === null) return undefined;
    const tags: Record<string, string> = {};
    for (const t of o.tags ?? []) {
      const v = value[t];
      if (v !== null && v !== undefined) tags[t] = String(v);
    }
    if (o.keyTag && item.key !== null && item.key !== undefined) {
      tags[o.keyTag] = String(item.key);
    }
    const fields: Point["fields"] = {};
    for (const f of o.fields ?? Object.keys(value)) {
      if (f in tags) continue;
      const v = value[f];
      if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") fields[f] = v;
    }
    const measurement = typeof o.measurement === "function"
      ? o.measurement(item.value, item.key)
      : o.measurement;
    const timeMs = o.time ? o.time(item.value, item.timestamp) : item.timestamp;
    return { measurement, tags, fields, timeMs };
  }

  /** Writes the batch in chunks of `batchSize` points. */
  async write(batch: SinkBatch<T>): Promise<void> {
    for (const chunk of batch.chunks(this.#o.batchSize ?? 5000)) {
      const lines: string[] = [];
      for (const item of chunk) {
        const p = this.#point(item);
        const line = p && toLine(p);
        if (line) lines.push(line);
        else this.stats.skipped++;
      }
      if (lines.length) await this.#post(lines.join("\n"), lines.length);
    }
  }

  async #post(body: string, points: number): Promise<void> {
    const attempts = this.#o.attempts ?? 4;
    const backoff = this.#o.backoffMs ?? 200;
    let last = "";
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let res: Response;
      try {
        res = await this.#fetch(this.#writeUrl, { method: "POST", headers: this.#headers, body });
      } catch (e) {
        last = (e as Error).message;
        await this.#pause(attempt, attempts, backoff);
        continue;
      }
      const text = await res.text();
      if (res.ok) {
        this.stats.points += points;
        return;
      }
      if (res.status === 429 || res.status === 503) {
        const after = Number(res.headers.get("retry-after"));
        throw new SinkBackpressureError(
          Number.isFinite(after) && after > 0 ? after * 1000 : undefined,
          `InfluxDB is busy (HTTP ${res.status})`,
        );
      }
      if (res.status < 500) {
        throw new StreamError(
          `InfluxDB refused the write (HTTP ${res.status}): ${shortError(text)}`,
        );
      }
      last = `HTTP ${res.status}: ${shortError(text)}`;
      await this.#pause(attempt, attempts, backoff);
    }
    throw new SinkBackpressureError(undefined, `InfluxDB write failed ${attempts} times (${last})`);
  }

  async #pause(attempt: number, attempts: number, backoff: number): Promise<void> {
    if (attempt >= attempts) return;
    this.stats.retries++;
    await new Promise((r) => setTimeout(r, backoff * 2 ** (attempt - 1)));
  }

  #fetch(url: string, init: RequestInit): Promise<Response> {
    return fetch(url, { ...init, signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000) });
  }
}

function shortError(text: string): string {
  try {
    const j = JSON.parse(text);
    if (typeof j?.error === "string") return j.error;
    if (typeof j?.message === "string") return j.message;
  } catch { /* not JSON */ }
  return text.trim().slice(0, 300);
}
