/**
 * Pushes a topic to browsers and programs:
 *
 * - WebSocket: `GET /topics/<topic>?key=&from=earliest|latest|<cursor>&credit=N`
 * - Server-sent events: `GET /topics/<topic>/events?key=&from=...` (`Last-Event-ID` resumes)
 *
 * Every record frame is `{type:"record", topic, partition, offset, timestamp, key, value,
 * cursor}`; `cursor` resumes right after that record (see cursor.ts). The first frame is
 * `{type:"start", topic, partitions, cursor}`; a `{type:"progress", cursor}` frame follows a
 * fetch whose records the key filter all skipped, so a resumed client does not re-scan them.
 *
 * Backpressure: the log is the buffer. Each client has its own position, and the server
 * reads the next batch for a client only when that client has taken the previous one: for a
 * WebSocket, when its send buffer (`bufferedAmount`) is under `highWaterBytes`, and, with
 * `credit=N`, only while the client has credit (it grants more by sending `{"credit": n}`);
 * for SSE, when the HTTP stream pulls. A slow client falls behind and catches up later; it
 * never loses a record and the server holds at most one fetch plus `highWaterBytes` for it.
 *
 * @module
 */
import { formatCursor, parseCursor } from "./cursor.ts";
import { recordFrame } from "./_frames.ts";
import {
  type FetchResult,
  OffsetOutOfRangeError,
  TopicReader,
  type TopicRecord,
  UnknownTopicError,
} from "./topic_reader.ts";

/** Recent non-empty fetch results kept for clients reading the same range. */
const SHARED_FETCHES = 32;

/**
 * Options of {@link TopicStreams}.
 *
 * @example
 * ```ts
 * import type { TopicStreamOptions } from "@sa/toolkit";
 * const options: TopicStreamOptions = { brokers: ["127.0.0.1:19092"], topics: ["table-data"] };
 * ```
 */
export interface TopicStreamOptions {
  /** Bootstrap servers ("host:port"). */
  brokers: string[];
  /** Topics that may be streamed; default: any existing topic. */
  topics?: string[];
  /** A WebSocket client's send buffer above which no more is read for it. Default 256 KiB. */
  highWaterBytes?: number;
  /** Record bytes read per fetch for one client. Default 256 KiB. */
  fetchMaxBytes?: number;
  /** How long a fetch waits for new records. Default 500 ms. */
  maxWaitMs?: number;
}

/**
 * What a live session reports (for tests, benches and `/metrics`).
 *
 * @example
 * ```ts
 * import { type SessionStats, TopicStreams } from "@sa/toolkit";
 * const streams = new TopicStreams({ brokers: ["127.0.0.1:19092"] });
 * const open: SessionStats[] = streams.sessions();
 * ```
 */
export interface SessionStats {
  /** How the client is served. */
  transport: "websocket" | "sse";
  /** The topic pushed. */
  topic: string;
  /** Record frames sent. */
  sent: number;
  /** Bytes queued in the WebSocket but not yet written to the socket. */
  bufferedAmount: number;
  /** Cursor after the last record sent. */
  cursor: string;
}

interface Params {
  topic: string;
  sse: boolean;
  key: Uint8Array | null;
  from: string;
  credit: number | null;
}

const enc = new TextEncoder();

function bad(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A WebSocket/SSE topic push endpoint, mounted on any `Deno.serve` handler (apps get one on
 * their HTTP server at `/topics/`).
 *
 * @example
 * ```ts
 * import { TopicStreams } from "@sa/toolkit";
 * const streams = new TopicStreams({ brokers: ["127.0.0.1:19092"] });
 * Deno.serve({ port: 8091 }, (req) => streams.handle(req));
 * ```
 */
export class TopicStreams {
  readonly #opts: Required<Omit<TopicStreamOptions, "topics">> & { topics?: Set<string> };
  readonly #sessions = new Set<{ stats: SessionStats; close(): void }>();
  /** In-flight and recent fetches by "topic|cursor". */
  readonly #fetches = new Map<string, Promise<FetchResult>>();

  /** Serves the topics of `opts.brokers`; nothing connects until a client comes. */
  constructor(opts: TopicStreamOptions) {
    this.#opts = {
      brokers: opts.brokers,
      topics: opts.topics ? new Set(opts.topics) : undefined,
      highWaterBytes: opts.highWaterBytes ?? 256 * 1024,
      fetchMaxBytes: opts.fetchMaxBytes ?? 256 * 1024,
      maxWaitMs: opts.maxWaitMs ?? 500,
    };
  }

  /** Statistics of the live sessions. */
  sessions(): SessionStats[] {
    return [...this.#sessions].map((s) => ({ ...s.stats }));
  }

  /** Ends every session. */
  close(): void {
    for (const s of this.#sessions) s.close();
  }

  /** Parses the URL; a Response is an error answer. */
  #params(req: Request, url: URL): Params | Response {
    const m = /^\/topics\/([^/]+)(\/events)?\/?$/.exec(url.pathname);
    if (!m) return bad(404, `no such path ${url.pathname}`);
    let topic: string;
    try {
      topic = decodeURIComponent(m[1]);
    } catch {
      return bad(400, `bad topic name in ${url.pathname}`);
    }
    if (this.#opts.topics && !this.#opts.topics.has(topic)) {
      return bad(404, `topic ${topic} is not served here`);
    }
    const sse = m[2] !== undefined;
    const lastEventId = sse ? req.headers.get("last-event-id") : null;
    const from = lastEventId ?? url.searchParams.get("from") ?? "latest";
    const keyText = url.searchParams.get("key");
    const creditText = url.searchParams.get("credit");
    let credit: number | null = null;
    if (creditText !== null) {
      credit = Number(creditText);
      if (sse || !Number.isInteger(credit) || credit < 1) {
        return bad(
          400,
          sse
            ? "credit= is for WebSockets; SSE is paced by the HTTP stream"
            : `credit must be a positive integer, not "${creditText}"`,
        );
      }
    }
    return { topic, sse, key: keyText === null ? null : enc.encode(keyText), from, credit };
  }

  /** Answers a `/topics/...` request (WebSocket upgrade or SSE). */
  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const p = this.#params(req, url);
    if (p instanceof Response) return p;
    if (req.method !== "GET") return bad(405, "use GET");
    const isUpgrade = (req.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
    if (!p.sse && !isUpgrade) {
      return bad(
        426,
        `GET /topics/${p.topic} is a WebSocket; for server-sent events use /topics/${p.topic}/events`,
      );
    }
    let reader: TopicReader;
    try {
      reader = await TopicReader.open(this.#opts.brokers, p.topic);
    } catch (e) {
      if (e instanceof UnknownTopicError) return bad(404, e.message);
      return bad(502, `cannot reach the broker: ${(e as Error).message}`);
    }
    let positions: Map<number, number>;
    try {
      positions = await this.#start(reader, p.from);
    } catch (e) {
      reader.close();
      return bad(400, (e as Error).message);
    }
    return p.sse ? this.#sse(reader, p, positions) : this.#websocket(req, reader, p, positions);
  }

  /** Start positions: earliest, latest, or a cursor (partitions it omits start at earliest). */
  async #start(reader: TopicReader, from: string): Promise<Map<number, number>> {
    if (from === "earliest" || from === "latest") return await reader.offsets(from);
    let cursor: Map<number, number>;
    try {
      cursor = parseCursor(from);
    } catch (e) {
      throw new Error(
        `from: ${(e as Error).message} (use earliest, latest or a cursor like 0:12,1:7)`,
      );
    }
    const known = new Set(reader.partitions);
    for (const p of cursor.keys()) {
      if (!known.has(p)) throw new Error(`from: ${reader.topic} has no partition ${p}`);
    }
    const earliest = await reader.offsets("earliest");
    const latest = await reader.offsets("latest");
    const out = new Map<number, number>();
    for (const p of reader.partitions) {
      const at = cursor.get(p) ?? earliest.get(p)!;
      if (at < earliest.get(p)! || at > latest.get(p)!) {
        throw new Error(
          `from: offset ${at} of partition ${p} is outside [${earliest.get(p)}, ${
            latest.get(p)
          }] (deleted by retention, or not written yet)`,
        );
      }
      out.set(p, at);
    }
    return out;
  }

  /**
   * Reads the next batch; records filtered by key, positions advanced. Clients at the same
   * positions of a topic (a fan-out) share one fetch, and its decoded records and frames:
   * records at an offset never change, so a recent result is reused as is.
   */
  async #next(
    reader: TopicReader,
    p: Params,
    positions: Map<number, number>,
  ): Promise<TopicRecord[]> {
    const key = `${p.topic}|${formatCursor(positions)}`;
    let pending = this.#fetches.get(key);
    const mine = !pending;
    if (!pending) {
      pending = reader.fetch(new Map(positions), this.#opts.maxWaitMs, this.#opts.fetchMaxBytes);
      this.#fetches.set(key, pending);
      pending.then((res) => {
        if (res.records.length === 0) this.#fetches.delete(key);
        else if (this.#fetches.size > SHARED_FETCHES) {
          this.#fetches.delete(this.#fetches.keys().next().value!);
        }
      }, () => this.#fetches.delete(key));
    }
    let res: FetchResult;
    try {
      res = await pending;
    } catch (e) {
      // Another client's fetch failed (its connection closed, say): read with our own.
      if (mine) throw e;
      res = await reader.fetch(new Map(positions), this.#opts.maxWaitMs, this.#opts.fetchMaxBytes);
    }
    for (const [part, at] of res.next) positions.set(part, at);
    return p.key === null ? res.records : res.records.filter((r) => sameBytes(r.key, p.key!));
  }

  #websocket(
    req: Request,
    reader: TopicReader,
    p: Params,
    positions: Map<number, number>,
  ): Response {
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 30 });
    const stats: SessionStats = {
      transport: "websocket",
      topic: p.topic,
      sent: 0,
      bufferedAmount: 0,
      cursor: formatCursor(positions),
    };
    let open = true;
    let credit = p.credit ?? Infinity;
    let wake: (() => void) | null = null;
    const nudge = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    const session = {
      stats,
      close: () => {
        open = false;
        nudge();
        try {
          socket.close(1001, "server closing");
        } catch { /* not open yet, or gone */ }
      },
    };
    socket.onmessage = (ev) => {
      // Only credit grants are expected from clients.
      try {
        const msg = JSON.parse(String(ev.data));
        const n = msg?.credit;
        if (Number.isInteger(n) && n > 0) {
          credit += n;
          nudge();
          return;
        }
      } catch { /* fall through */ }
      socket.send(JSON.stringify({ type: "error", message: 'expected {"credit": n}' }));
    };
    socket.onclose = () => {
      open = false;
      nudge();
    };
    socket.onerror = () => {};
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(nudge, ms);
      });
    socket.onopen = async () => {
      this.#sessions.add(session);
      try {
        socket.send(JSON.stringify({
          type: "start",
          topic: p.topic,
          partitions: reader.partitions,
          cursor: stats.cursor,
        }));
        while (open) {
          stats.bufferedAmount = socket.bufferedAmount;
          if (socket.bufferedAmount > this.#opts.highWaterBytes) {
            await pause(10); // no drain event in the WebSocket API: poll
            continue;
          }
          if (credit <= 0) {
            await pause(1000);
            continue;
          }
          const fetchedFrom = new Map(positions);
          const records = await this.#next(reader, p, positions);
          if (!open) break;
          if (records.length === 0) {
            const c = formatCursor(positions);
            if (c !== stats.cursor && p.key !== null) {
              stats.cursor = c;
              socket.send(JSON.stringify({ type: "progress", cursor: c }));
            }
            stats.cursor = c;
            continue;
          }
          // Cursor positions advance per record sent; with credit, what is left of the batch
          // is read again later.
          const sentTo = new Map(fetchedFrom);
          let cut = false;
          for (const r of records) {
            if (credit <= 0) {
              cut = true;
              break;
            }
            sentTo.set(r.partition, r.offset + 1);
            const cursor = formatCursor(sentTo);
            socket.send(recordFrame(p.topic, r, cursor));
            credit--;
            stats.sent++;
          }
          if (cut) {
            for (const [part, at] of sentTo) positions.set(part, at);
          }
          stats.cursor = formatCursor(cut ? sentTo : positions);
          stats.bufferedAmount = socket.bufferedAmount;
        }
      } catch (e) {
        if (open) {
          const message = e instanceof OffsetOutOfRangeError
            ? `${e.message}; reconnect with from=earliest`
            : (e as Error).message;
          try {
            socket.send(JSON.stringify({ type: "error", message }));
            socket.close(1011, "read failed");
          } catch { /* gone */ }
        }
      } finally {
        open = false;
        reader.close();
        this.#sessions.delete(session);
      }
    };
    return response;
  }

  #sse(reader: TopicReader, p: Params, positions: Map<number, number>): Response {
    const stats: SessionStats = {
      transport: "sse",
      topic: p.topic,
      sent: 0,
      bufferedAmount: 0,
      cursor: formatCursor(positions),
    };
    let open = true;
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const session = {
      stats,
      close: () => {
        if (!open) return;
        open = false;
        try {
          controller.close();
        } catch { /* closed */ }
      },
    };
    const finish = () => {
      open = false;
      reader.close();
      this.#sessions.delete(session);
    };
    let lastWrite = Date.now();
    const body = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
        this.#sessions.add(session);
        c.enqueue(enc.encode(
          `retry: 1000\nid: ${stats.cursor}\nevent: start\ndata: ${
            JSON.stringify({
              type: "start",
              topic: p.topic,
              partitions: reader.partitions,
              cursor: stats.cursor,
            })
          }\n\n`,
        ));
      },
      // Called only when the response has room: the log is read at the client's pace.
      pull: async (c) => {
        try {
          while (open) {
            const records = await this.#next(reader, p, positions);
            if (!open) return;
            if (records.length === 0) {
              const cursor = formatCursor(positions);
              if (cursor !== stats.cursor && p.key !== null) {
                stats.cursor = cursor;
                c.enqueue(
                  enc.encode(
                    `id: ${cursor}\nevent: progress\ndata: {"type":"progress","cursor":"${cursor}"}\n\n`,
                  ),
                );
                return;
              }
              if (Date.now() - lastWrite > 15_000) {
                lastWrite = Date.now();
                c.enqueue(enc.encode(": keep-alive\n\n"));
                return;
              }
              continue;
            }
            const sentTo = new Map(stats.cursor === "" ? [] : parseCursor(stats.cursor));
            let out = "";
            for (const r of records) {
              sentTo.set(r.partition, r.offset + 1);
              const cursor = formatCursor(sentTo);
              out += `id: ${cursor}\nevent: record\ndata: ${recordFrame(p.topic, r, cursor)}\n\n`;
              stats.sent++;
            }
            stats.cursor = formatCursor(positions);
            lastWrite = Date.now();
            c.enqueue(enc.encode(out));
            return;
          }
        } catch (e) {
          if (open) {
            c.enqueue(enc.encode(
              `event: error\ndata: ${
                JSON.stringify({ type: "error", message: (e as Error).message })
              }\n\n`,
            ));
            c.close();
          }
          finish();
        }
      },
      cancel: () => finish(),
    }, { highWaterMark: 1 });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    });
  }
}
