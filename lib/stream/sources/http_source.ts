/**
 * `HttpSource`: phone ingestion over HTTP and WebSocket, compatible with Sensor Logger's push.
 *
 * - `POST /data` and `POST /data/<key>`: the body is produced unchanged, keyed by `<key>`, else
 *   by the body's `sessionId`. The answer is 200 only once the broker acknowledged the message.
 * - `GET /ws` (WebSocket): one JSON message per text frame; each frame is answered
 *   `{"seq":n,"ok":true}` once the broker has it (`seq` counts frames from 1), or
 *   `{"seq":n,"ok":false,"error":"..."}`. A frame may also carry a batch, one message per
 *   line, answered once every line is durable: `{"seq":n,"ok":true,"messages":k,
 *   "duplicates":d}` (with `errors: [{line, status, error}]` when some failed).
 * - A repeated (`sessionId`, `messageId`) within `dedupeWindowMs` is not produced again (it is
 *   answered 200 `duplicate`).
 * - A malformed body gets 499 with a short text (Sensor Logger shows it to the user); a body
 *   over `maxBodyBytes` gets 413; a broker failure 503.
 * - CORS is open (`Access-Control-Allow-Origin: *`), so browser pages can push too.
 * - With a token (required unless bound to loopback) every route needs it: as the first path
 *   segment (`/<token>/data`, since the phone cannot set headers), `?token=`, `X-API-Key` or
 *   `Authorization: Bearer`.
 *
 * @module
 */

import { ConfigurationError } from "../errors.ts";
import { Topic } from "../topic.ts";
import { PhoneIngest } from "./_ingest.ts";
import { isLoopback, reachableHosts, sameToken } from "./_net.ts";
import type { Source, SourceContext } from "./source.ts";

/**
 * Options of {@link HttpSource}.
 *
 * @example
 * ```ts
 * import type { HttpSourceOptions } from "@sa/toolkit";
 * const options: HttpSourceOptions = { hostname: "0.0.0.0", port: 8000, token: "s3cret" };
 * ```
 */
export interface HttpSourceOptions {
  /** Source name (default `"http"`); names its default topic `source__<name>`. */
  name?: string;
  /** Interface to bind (default `"127.0.0.1"`; `"0.0.0.0"` for phones on the LAN). */
  hostname?: string;
  /** Port (default 8000; 0 picks a free one, see {@link HttpSource.port}). */
  port?: number;
  /** Shared secret; required when `hostname` is not loopback. */
  token?: string;
  /** Largest accepted body or frame in bytes (default 512 KiB). */
  maxBodyBytes?: number;
  /** How long a (sessionId, messageId) pair is remembered (default 10 minutes). */
  dedupeWindowMs?: number;
  /** At most this many pairs are remembered (default 100,000; the oldest go first). */
  dedupeMaxEntries?: number;
  /** Unacknowledged frames one WebSocket may have before it is closed (default 10,000). */
  maxPendingFrames?: number;
  /** Called once the port is bound, with {@link HttpSource.urls} (default: log them). */
  onListen?(urls: string[]): void;
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, GET, OPTIONS",
  "access-control-allow-headers": "content-type, authorization, x-api-key",
  "access-control-max-age": "86400",
};

function text(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { ...CORS, "content-type": "text/plain; charset=utf-8", ...extra },
  });
}

class TooLarge extends Error {}

function isJson(body: Uint8Array): boolean {
  try {
    JSON.parse(new TextDecoder().decode(body));
    return true;
  } catch {
    return false;
  }
}

/** The non-blank lines of a frame (a batch is one message per line). */
function splitLines(body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= body.length; i++) {
    if (i < body.length && body[i] !== 0x0a) continue;
    const line = body.subarray(start, i);
    start = i + 1;
    if (line.some((b) => b !== 0x20 && b !== 0x09 && b !== 0x0d)) out.push(line);
  }
  return out;
}

async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > limit) throw new TooLarge();
  if (!req.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of req.body) {
    n += chunk.length;
    if (n > limit) throw new TooLarge();
    chunks.push(chunk);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Counters of an {@link HttpSource}.
 *
 * @example
 * ```ts
 * import { HttpSource } from "@sa/toolkit";
 * const source = new HttpSource({ port: 0 });
 * console.log(source.stats.accepted, source.stats.duplicates);
 * ```
 */
export interface HttpSourceStats {
  /** Messages produced and acknowledged. */
  accepted: number;
  /** Repeated (sessionId, messageId) pairs not produced again. */
  duplicates: number;
  /** Bodies or frames answered 499. */
  malformed: number;
  /** Requests refused for a missing or wrong token. */
  unauthorized: number;
}

/**
 * Receives Sensor Logger pushes (and any JSON messages) over HTTP and WebSocket.
 *
 * @example A gateway into raw-data
 * ```ts
 * import { Application, HttpSource } from "@sa/toolkit";
 *
 * const app = new Application({ consumerGroup: "gateway" });
 * const source = new HttpSource({ hostname: "0.0.0.0", port: 8000, token: "s3cret" });
 * app.addSource(source, HttpSource.topic(app, "raw-data"));
 * const stop = new AbortController();
 * setTimeout(() => stop.abort(), 5000);
 * await app.run({ signal: stop.signal });
 * ```
 */
export class HttpSource implements Source {
  /** The source name. */
  readonly name: string;
  /** The bound interface. */
  readonly hostname: string;
  /** Counters (for logs and tests). */
  readonly stats: HttpSourceStats = { accepted: 0, duplicates: 0, malformed: 0, unauthorized: 0 };
  readonly #token: string | undefined;
  readonly #maxBody: number;
  readonly #maxPending: number;
  readonly #ingest: PhoneIngest;
  #wantedPort: number;
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #ctx: SourceContext | undefined;
  #ready!: () => void;
  readonly #started = new Promise<void>((r) => this.#ready = r);
  readonly #sockets = new Set<WebSocket>();
  readonly #onListen: (urls: string[]) => void;

  /** Checks the options; the port is bound by `setup()` (when the app starts). */
  constructor(options: HttpSourceOptions = {}) {
    this.name = options.name ?? "http";
    this.hostname = options.hostname ?? "127.0.0.1";
    this.#wantedPort = options.port ?? 8000;
    this.#token = options.token || undefined;
    if (!this.#token && !isLoopback(this.hostname)) {
      throw new ConfigurationError(
        `HttpSource: a token is required when listening on ${this.hostname} (not loopback); ` +
          "set the token option (phones send it in the URL: http://host:port/<token>/data)",
      );
    }
    this.#maxBody = options.maxBodyBytes ?? 512 * 1024;
    this.#maxPending = options.maxPendingFrames ?? 10_000;
    this.#onListen = options.onListen ??
      ((urls) => console.log(`${this.name}: listening; push URL(s):\n  ${urls.join("\n  ")}`));
    this.#ingest = new PhoneIngest(
      this.stats,
      options.dedupeWindowMs ?? 600_000,
      options.dedupeMaxEntries ?? 100_000,
    );
  }

  /**
   * A topic for raw phone messages: bodies are produced as bytes (unchanged), keys as strings,
   * and values read back as JSON. Declared on `app` so the app creates it.
   */
  static topic(app: { topic(name: string, options?: object): Topic }, name: string): Topic {
    return app.topic(name, {
      keySerializer: "string",
      valueSerializer: "bytes",
      valueDeserializer: "json",
    });
  }

  /** A topic `source__<name>` in the same formats as {@link HttpSource.topic}. */
  defaultTopic(): Topic {
    return new Topic(`source__${this.name}`, {
      keySerializer: "string",
      valueSerializer: "bytes",
      valueDeserializer: "json",
    });
  }

  /** The bound port (after `setup()`). */
  get port(): number {
    return this.#server?.addr.port ?? this.#wantedPort;
  }

  /** True when requests must carry the token. */
  get requiresToken(): boolean {
    return this.#token !== undefined;
  }

  /** URLs to type into the phone app (with the token), one per reachable address. */
  urls(): string[] {
    const tokenPart = this.#token ? `/${encodeURIComponent(this.#token)}` : "";
    return reachableHosts(this.hostname).map((h) => `http://${h}:${this.port}${tokenPart}/data`);
  }

  /** Binds the port, so a busy port fails the app at start with a clear message. */
  setup(): void {
    try {
      this.#server = Deno.serve({
        hostname: this.hostname,
        port: this.#wantedPort,
        onListen: () => {},
        onError: (e) => text(500, `sa gateway: ${(e as Error).message}`),
      }, (req) => this.#handle(req));
    } catch (e) {
      throw new ConfigurationError(
        `HttpSource cannot listen on ${this.hostname}:${this.#wantedPort}: ${(e as Error).message}`,
      );
    }
    this.#wantedPort = this.#server.addr.port;
    this.#onListen(this.urls());
  }

  /** Serves until the app stops, then finishes in-flight requests and closes sockets. */
  async run(ctx: SourceContext): Promise<void> {
    if (!this.#server) this.setup();
    this.#ctx = ctx;
    this.#ready();
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    for (const ws of this.#sockets) ws.close(1001, "server stopping");
    await this.#server!.shutdown();
  }

  async #handle(req: Request): Promise<Response> {
    await this.#started;
    const url = new URL(req.url);
    const segments = url.pathname.split("/").filter((s) => s !== "").map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
    let pathToken: string | null = null;
    if (segments.length >= 2 && segments[0] !== "data" && segments[0] !== "ws") {
      pathToken = segments.shift()!;
    }
    if (req.method === "OPTIONS") return new Response(null, { status: 204, headers: CORS });
    if (this.#token) {
      const auth = req.headers.get("authorization");
      const bearer = auth?.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : null;
      const given = pathToken ?? url.searchParams.get("token") ?? req.headers.get("x-api-key") ??
        bearer;
      if (!sameToken(given, this.#token)) {
        this.stats.unauthorized++;
        return text(
          401,
          "sa gateway: token missing or wrong (use http://host:port/<token>/data)",
        );
      }
    } else if (pathToken !== null) {
      return text(404, `sa gateway: no route ${url.pathname} (POST /data or /data/<key>)`);
    }
    const route = segments[0];
    if (route === "data" && segments.length <= 2) {
      if (req.method !== "POST") {
        return text(405, "sa gateway: POST a JSON message to /data", { allow: "POST, OPTIONS" });
      }
      return await this.#post(req, segments[1]);
    }
    if (route === "ws" && segments.length === 1) {
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return text(426, "sa gateway: /ws expects a WebSocket upgrade", { upgrade: "websocket" });
      }
      return this.#upgrade(req);
    }
    if (segments.length === 0 && req.method === "GET") {
      return text(200, "sa gateway: POST Sensor Logger messages to /data\n");
    }
    return text(404, `sa gateway: no route ${url.pathname} (POST /data or /data/<key>)`);
  }

  async #post(req: Request, pathKey: string | undefined): Promise<Response> {
    let body: Uint8Array;
    try {
      body = await readBody(req, this.#maxBody);
    } catch (e) {
      if (e instanceof TooLarge) return text(413, `sa gateway: body over ${this.#maxBody} bytes`);
      return text(400, `sa gateway: reading the body failed: ${(e as Error).message}`);
    }
    const result = await this.#ingest.ingest(this.#ctx!, body, pathKey);
    if (result.ok) return text(200, result.duplicate ? "duplicate\n" : "ok\n");
    return text(result.status, `sa gateway: ${result.error}`);
  }

  #upgrade(req: Request): Response {
    const { socket, response } = Deno.upgradeWebSocket(req);
    this.#sockets.add(socket);
    let seq = 0;
    let pending = 0;
    const encoder = new TextEncoder();
    socket.onclose = () => this.#sockets.delete(socket);
    socket.onmessage = (ev) => {
      const n = ++seq;
      const body = typeof ev.data === "string"
        ? encoder.encode(ev.data)
        : new Uint8Array(ev.data as ArrayBuffer);
      const reply = (answer: object) => {
        if (socket.readyState === WebSocket.OPEN) {
          socket.send(JSON.stringify({ seq: n, ...answer }));
        }
      };
      if (body.length > this.#maxBody) {
        reply({ ok: false, status: 413, error: `frame over ${this.#maxBody} bytes` });
        return;
      }
      if (++pending > this.#maxPending) {
        socket.close(1013, `more than ${this.#maxPending} frames unacknowledged`);
        return;
      }
      // Several lines that are not one (pretty-printed) JSON document: a batch.
      const lines = splitLines(body);
      if (lines.length <= 1 || isJson(body)) {
        this.#ingest.ingest(this.#ctx!, body).then((r) => {
          pending--;
          if (r.ok) reply(r.duplicate ? { ok: true, duplicate: true } : { ok: true });
          else reply({ ok: false, status: r.status, error: r.error });
        });
        return;
      }
      // A batch: one message per line, answered once every line is settled.
      Promise.all(lines.map((l) => this.#ingest.ingest(this.#ctx!, l))).then((rs) => {
        pending--;
        const errors = rs.flatMap((r, i) =>
          r.ok ? [] : [{ line: i + 1, status: r.status, error: r.error }]
        );
        reply({
          ok: errors.length === 0,
          messages: rs.length,
          duplicates: rs.filter((r) => r.ok && r.duplicate).length,
          ...(errors.length ? { errors } : {}),
        });
      });
    };
    return response;
  }
}
