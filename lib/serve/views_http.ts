/**
 * HTTP access to an app's in-memory views (see lib/stream/views/view.ts):
 *
 * - `GET /views`: the views, their sizes and positions;
 * - `GET /views/<name>/<key>`: one key;
 * - `GET /views/<name>?prefix=&limit=`: keys in order;
 * - `GET /views/<name>?watch` (WebSocket upgrade, else server-sent events): a snapshot, then
 *   every change.
 *
 * Every answer carries the view's position (`X-SA-Position` header and `position` field): the
 * next input offset per partition, so offsets below it are applied. `minPosition=0:12,1:7`
 * (with `timeout=` ms, default 5000) waits until the view has applied those offsets, and
 * answers 503 with the reason when it has not in time: read-your-writes.
 *
 * @module
 */
import { formatCursor, parseCursor } from "./cursor.ts";
import type { View, ViewChange, ViewPosition } from "../stream/views/view.ts";

/** Where a key lives when another instance owns it (see views_owners.ts). */
export interface KeyRouter {
  /** The base URL of the instance owning `key` of `view`, or null when it is this one. */
  ownerOf(view: View, key: string): Promise<string | null>;
}

/** Subscriber backlog (changes not yet written) at which a subscription is ended. */
const MAX_BACKLOG_BYTES = 1024 * 1024;
const MAX_TIMEOUT_MS = 30_000;

function json(status: number, body: unknown, position?: ViewPosition): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (position) headers["x-sa-position"] = formatCursor(position);
  return new Response(JSON.stringify(body) + "\n", { status, headers });
}

function positionJson(view: View, p: ViewPosition) {
  return { topic: view.topic, offsets: Object.fromEntries(p), cursor: formatCursor(p) };
}

/** Serves `/views/...` for `views`; `router` (optional) sends keys owned elsewhere there. */
export class ViewsHttp {
  constructor(
    readonly views: ReadonlyMap<string, View>,
    readonly router?: KeyRouter,
  ) {}

  /** Answers a request whose path starts with `/views`. */
  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    if (req.method !== "GET") return json(405, { error: "use GET" });
    const parts = url.pathname.split("/").slice(2); // ["", "views", ...]
    if (parts.length === 0 || (parts.length === 1 && parts[0] === "")) {
      return json(
        200,
        [...this.views.values()].map((v) => ({
          name: v.name,
          size: v.size,
          windowed: v.options.windowed ?? false,
          position: positionJson(v, v.position()),
        })),
      );
    }
    const view = this.views.get(decodeURIComponent(parts[0]));
    if (!view) {
      return json(404, {
        error: `no view "${parts[0]}"; views: ${[...this.views.keys()].join(", ") || "none"}`,
      });
    }
    let min: ViewPosition | null = null;
    const minText = url.searchParams.get("minPosition");
    if (minText !== null) {
      try {
        min = parseCursor(minText);
      } catch (e) {
        return json(400, { error: `minPosition: ${(e as Error).message}` });
      }
    }
    const timeoutText = url.searchParams.get("timeout");
    const timeout = timeoutText === null ? 5000 : Number(timeoutText);
    if (!(timeout >= 0 && timeout <= MAX_TIMEOUT_MS)) {
      return json(400, { error: `timeout must be 0..${MAX_TIMEOUT_MS} ms, not "${timeoutText}"` });
    }
    const rest = parts.slice(1).join("/");
    if (rest !== "") {
      let key: string;
      try {
        key = decodeURIComponent(rest);
      } catch {
        return json(400, { error: `bad key encoding in ${url.pathname}` });
      }
      // A forwarded read is answered here, whatever this instance thinks: never loop.
      if (this.router && !req.headers.has("x-sa-proxied")) {
        let owner: string | null;
        try {
          owner = await this.router.ownerOf(view, key);
        } catch (e) {
          return json(503, { error: `cannot locate key "${key}": ${(e as Error).message}` });
        }
        if (owner) return this.#proxy(req, owner, url);
      }
      const waited = await this.#await(view, min, timeout);
      if (waited) return waited;
      const position = view.position();
      const value = view.get(key);
      if (value === undefined) {
        return json(404, {
          error: `no key "${key}" in view ${view.name}`,
          position: positionJson(view, position),
        }, position);
      }
      return json(
        200,
        { view: view.name, key, value, position: positionJson(view, position) },
        position,
      );
    }
    if (url.searchParams.has("watch")) {
      return this.#watch(req, view, url.searchParams.get("prefix") ?? "");
    }
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? 1000 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) {
      return json(400, { error: `limit must be an integer in 1..100000, not "${limitText}"` });
    }
    const waited = await this.#await(view, min, timeout);
    if (waited) return waited;
    const position = view.position();
    const entries = view.list(url.searchParams.get("prefix") ?? "", limit + 1);
    return json(200, {
      view: view.name,
      entries: entries.slice(0, limit),
      more: entries.length > limit,
      position: positionJson(view, position),
    }, position);
  }

  /** null when `min` is reached (or absent), else the 503 saying why not. */
  async #await(
    view: View,
    min: ViewPosition | null,
    timeout: number,
  ): Promise<Response | null> {
    if (!min || await view.waitFor(min, timeout)) return null;
    const at = view.position();
    const behind = [...min].filter(([p, o]) => (at.get(p) ?? 0) < o).map(([p, o]) =>
      at.has(p)
        ? `partition ${p} is at ${at.get(p)}, not yet ${o}`
        : `partition ${p} has applied nothing here (not assigned to this instance, or no ` +
          `message processed yet)`
    );
    return json(503, {
      error:
        `view ${view.name} did not reach minPosition ${formatCursor(min)} of topic ${view.topic} ` +
        `within ${timeout} ms: ${behind.join("; ")}`,
      position: positionJson(view, at),
    }, at);
  }

  /** Forwards a key read to the instance owning it; says so in `X-SA-Proxied-From`. */
  async #proxy(_req: Request, owner: string, url: URL): Promise<Response> {
    try {
      const res = await fetch(new URL(url.pathname + url.search, owner), {
        headers: { "x-sa-proxied": "1" },
      });
      const headers = new Headers(res.headers);
      headers.set("x-sa-served-by", owner);
      return new Response(res.body, { status: res.status, headers });
    } catch (e) {
      return json(502, {
        error: `owner ${owner} of this key did not answer: ${(e as Error).message}`,
      });
    }
  }

  #watch(req: Request, view: View, prefix: string): Response {
    const isUpgrade = (req.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
    return isUpgrade ? this.#watchWs(req, view, prefix) : this.#watchSse(req, view, prefix);
  }

  #watchWs(req: Request, view: View, prefix: string): Response {
    const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 30 });
    let stop = () => {};
    socket.onopen = () => {
      const sub = view.subscribe((c: ViewChange) => {
        if (socket.readyState !== WebSocket.OPEN) return;
        if (socket.bufferedAmount > MAX_BACKLOG_BYTES) {
          stop();
          socket.send(JSON.stringify({ type: "error", message: "too slow: subscribe again" }));
          socket.close(1013, "subscriber too slow; subscribe again for a fresh snapshot");
          return;
        }
        socket.send(JSON.stringify({ type: "change", ...c }));
      }, prefix);
      stop = sub.stop;
      socket.send(JSON.stringify({
        type: "snapshot",
        view: view.name,
        entries: sub.snapshot,
        position: positionJson(view, sub.position),
      }));
    };
    socket.onclose = () => stop();
    socket.onerror = () => {};
    return response;
  }

  #watchSse(_req: Request, view: View, prefix: string): Response {
    const enc = new TextEncoder();
    let stop = () => {};
    let backlog = 0;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        const sub = view.subscribe((ch: ViewChange) => {
          const chunk = enc.encode(
            `event: change\ndata: ${JSON.stringify({ type: "change", ...ch })}\n\n`,
          );
          backlog = -(c.desiredSize ?? 0);
          if (backlog > MAX_BACKLOG_BYTES) {
            stop();
            c.enqueue(
              enc.encode(
                `event: error\ndata: {"type":"error","message":"too slow: subscribe again"}\n\n`,
              ),
            );
            c.close();
            return;
          }
          c.enqueue(chunk);
        }, prefix);
        stop = sub.stop;
        c.enqueue(enc.encode(
          `event: snapshot\ndata: ${
            JSON.stringify({
              type: "snapshot",
              view: view.name,
              entries: sub.snapshot,
              position: positionJson(view, sub.position),
            })
          }\n\n`,
        ));
      },
      cancel() {
        stop();
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
    return new Response(body, {
      headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" },
    });
  }
}
