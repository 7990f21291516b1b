/**
 * The console's HTTP server: the JSON API (documented in docs/http-api.md), the live-tail
 * WebSocket and the page, on Deno.serve. Every endpoint is a thin shell over the functions in
 * topics.ts, messages.ts and groups.ts, which the CLI and the tests call directly.
 *
 * @module
 */
import { ApiError, ConsoleContext, type ConsoleOptions, oneLine } from "./_context.ts";
import { LAG_HISTORY_MS, Sampler } from "./_sampler.ts";
import { check, isLoopback, newToken, type Security, TOKEN_COOKIE } from "./auth.ts";
import { createTopic, deleteTopic, describeTopic, listTopics } from "./topics.ts";
import {
  browse,
  exportNdjson,
  importNdjson,
  parseBrowse,
  produce,
  recordValue,
  replay,
} from "./messages.ts";
import { describeGroup, listGroups, resetGroup } from "./groups.ts";
import { serveLiveTail } from "./live.ts";
import { overview } from "./overview.ts";
import { pipelineGraph } from "./pipeline.ts";
import { PAGE_ASSETS } from "./page/_assets.ts";

/** Options of {@link startConsole}. */
export interface StartOptions extends ConsoleOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. Any other host requires a token. */
  host?: string;
  /** Requires this token even on a loopback host (else one is generated off loopback). */
  token?: string;
  /** Sampling interval of rates and lag windows, ms (default 2000). */
  sampleMs?: number;
}

/** A running console. */
export interface RunningConsole {
  /** http://host:port/ (with ?token= when a token is required). */
  url: string;
  port: number;
  token: string | null;
  ctx: ConsoleContext;
  sampler: Sampler;
  close(): Promise<void>;
}

type Handler = (req: Request, url: URL, m: RegExpMatchArray) => Promise<Response> | Response;

/** Starts the console; throws Deno.errors.AddrInUse when the port is taken. */
export function startConsole(opts: StartOptions): Promise<RunningConsole> {
  const host = opts.host ?? "127.0.0.1";
  const loopback = isLoopback(host);
  const token = opts.token ?? (loopback ? null : newToken());
  const sec: Security = { token, readOnly: opts.readOnly ?? false, loopback };
  const ctx = new ConsoleContext(opts);
  const sampler = new Sampler(ctx, opts.sampleMs ?? 2000);
  const routes = apiRoutes(ctx, sampler);
  const ac = new AbortController();
  const server = Deno.serve({
    port: opts.port ?? 8080,
    hostname: host,
    signal: ac.signal,
    onListen: () => {},
  }, async (req) => {
    const url = new URL(req.url);
    const isSocket = req.headers.get("upgrade")?.toLowerCase() === "websocket";
    const refused = check(req, url, sec, isSocket);
    if (refused) return refused;
    if (url.pathname.startsWith("/api/")) {
      for (const [method, re, h] of routes) {
        if (method !== req.method) continue;
        const m = url.pathname.match(re);
        if (!m) continue;
        try {
          return await h(req, url, m);
        } catch (err) {
          if (err instanceof ApiError) return Response.json({ error: err.message }, err);
          return Response.json({ error: oneLine(err) }, { status: 500 });
        }
      }
      return Response.json({ error: `no endpoint ${req.method} ${url.pathname}` }, {
        status: 404,
      });
    }
    if (req.method !== "GET") return new Response("method not allowed", { status: 405 });
    const asset = PAGE_ASSETS[url.pathname] ?? PAGE_ASSETS["/"];
    const headers: Record<string, string> = {
      "content-type": asset.type,
      "cache-control": "no-cache",
      "content-security-policy":
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
      "x-frame-options": "DENY",
    };
    if (token && url.searchParams.get("token") === token) {
      headers["set-cookie"] = `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    // The page knows read-only from its first byte, so it can draw before asking /api/health.
    const body = asset === PAGE_ASSETS["/"]
      ? asset.body.replace(
        '<meta charset="utf-8">',
        `<meta charset="utf-8">\n    <meta name="sa-read-only" content="${ctx.readOnly}">`,
      )
      : asset.body;
    return new Response(body, { headers });
  });
  sampler.start();
  const port = server.addr.port;
  const shownHost = host === "0.0.0.0" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  return Promise.resolve({
    url: `http://${shownHost}:${port}/${token ? `?token=${token}` : ""}`,
    port,
    token,
    ctx,
    sampler,
    async close() {
      sampler.stop();
      ac.abort();
      await server.finished;
      await ctx.close();
    },
  });
}

async function body<T>(req: Request): Promise<T> {
  try {
    return await req.json() as T;
  } catch (err) {
    throw new ApiError(400, `the request body is not JSON: ${oneLine(err)}`);
  }
}

function int(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(400, `bad ${what} "${s}"`);
  return n;
}

function apiRoutes(ctx: ConsoleContext, sampler: Sampler): [string, RegExp, Handler][] {
  const name = "([^/]+)";
  const d = decodeURIComponent;
  return [
    ["GET", /^\/api\/health$/, () => Response.json({ broker: ctx.broker, readOnly: ctx.readOnly })],
    ["GET", /^\/api\/overview$/, async () => Response.json(await overview(ctx, sampler))],
    [
      "GET",
      /^\/api\/topics$/,
      async (_r, url) =>
        Response.json(await listTopics(ctx, sampler, url.searchParams.get("all") === "1")),
    ],
    ["POST", /^\/api\/topics$/, async (req) => {
      await createTopic(ctx, await body(req));
      return Response.json({ ok: true }, { status: 201 });
    }],
    [
      "GET",
      new RegExp(`^/api/topics/${name}$`),
      async (_r, _u, m) => Response.json(await describeTopic(ctx, d(m[1]), sampler)),
    ],
    ["DELETE", new RegExp(`^/api/topics/${name}$`), async (_r, _u, m) => {
      await deleteTopic(ctx, d(m[1]));
      return Response.json({ ok: true });
    }],
    [
      "GET",
      new RegExp(`^/api/topics/${name}/messages$`),
      async (_r, url, m) =>
        Response.json(await browse(ctx, d(m[1]), parseBrowse(url.searchParams))),
    ],
    [
      "POST",
      new RegExp(`^/api/topics/${name}/messages$`),
      async (req, _u, m) =>
        Response.json(await produce(ctx, d(m[1]), await body(req)), { status: 201 }),
    ],
    ["GET", new RegExp(`^/api/topics/${name}/messages/(\\d+)/(\\d+)/value$`), async (_r, _u, m) => {
      const v = await recordValue(ctx, d(m[1]), int(m[2], "partition"), int(m[3], "offset"));
      return new Response(v ? new Uint8Array(v) : null, {
        headers: {
          "content-type": "application/octet-stream",
          "content-disposition": `attachment; filename="${d(m[1])}-${m[2]}-${m[3]}.bin"`,
        },
      });
    }],
    [
      "GET",
      new RegExp(`^/api/topics/${name}/export$`),
      async (_r, url, m) =>
        new Response(await exportNdjson(ctx, d(m[1]), parseBrowse(url.searchParams)), {
          headers: {
            "content-type": "application/x-ndjson",
            "content-disposition": `attachment; filename="${d(m[1])}.ndjson"`,
          },
        }),
    ],
    ["POST", new RegExp(`^/api/topics/${name}/import$`), async (req, url, m) =>
      Response.json(
        await importNdjson(
          ctx,
          d(m[1]),
          await req.text(),
          url.searchParams.get("partitions") === "keep",
        ),
      )],
    ["POST", new RegExp(`^/api/topics/${name}/replay$`), async (req, _u, m) => {
      const b = await body<{ target?: string; max?: number }>(req);
      if (typeof b.target !== "string") throw new ApiError(400, "expected a target topic");
      return Response.json(await replay(ctx, d(m[1]), b.target, b.max));
    }],
    ["GET", new RegExp(`^/api/topics/${name}/live$`), (req, url, m) => {
      if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        throw new ApiError(400, "live tail is a WebSocket endpoint");
      }
      const p = url.searchParams.get("partition");
      const { socket, response } = Deno.upgradeWebSocket(req);
      serveLiveTail(ctx, socket, d(m[1]), {
        partition: p ? int(p, "partition") : undefined,
        q: url.searchParams.get("q") || undefined,
        filter: url.searchParams.get("filter") || undefined,
      });
      return response;
    }],
    ["GET", /^\/api\/groups$/, async () => Response.json(await listGroups(ctx, sampler))],
    [
      "GET",
      new RegExp(`^/api/groups/${name}$`),
      async (_r, _u, m) => Response.json(await describeGroup(ctx, d(m[1]), sampler)),
    ],
    ["GET", new RegExp(`^/api/groups/${name}/lag-history$`), (_r, url, m) => {
      const since = url.searchParams.get("since");
      const after = since === null ? -1 : int(since, "since");
      return Response.json({
        intervalMs: sampler.intervalMs,
        windowMs: LAG_HISTORY_MS,
        points: sampler.lagHistory(d(m[1]), after),
      });
    }],
    [
      "POST",
      new RegExp(`^/api/groups/${name}/reset$`),
      async (req, _u, m) => Response.json(await resetGroup(ctx, d(m[1]), await body(req))),
    ],
    ["GET", /^\/api\/pipeline$/, async () => Response.json(await pipelineGraph(ctx, sampler))],
  ];
}
