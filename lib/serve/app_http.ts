/**
 * The app's HTTP server, started with the app when `http` is given or `SA_HTTP_PORT` is set:
 * `/metrics` (Prometheus), `/views/...` (in-memory views), `/topics/...` (WebSocket and SSE
 * push of topics), and the app's own `routes` (pages such as the live chart). Bound to
 * 127.0.0.1 unless told otherwise. See docs/streaming-http.md.
 *
 * @module
 */
import type { Application } from "../stream/application.ts";
import { readEnv } from "../stream/kafka/_kafka.ts";
import { DurableStateBackend } from "../stream/state/durable.ts";
import { viewsOf } from "../stream/views/view.ts";
import { PROM_CONTENT_TYPE } from "../util/prometheus.ts";
import { AppMetrics } from "./app_metrics.ts";
import { TopicStreams } from "./topic_stream.ts";
import { ViewsHttp } from "./views_http.ts";
import { GroupKeyRouter } from "./views_owners.ts";

/** Above every UTF-8 key (0xff never occurs in UTF-8). */
const ALL_UTF8_KEYS = new Uint8Array([0xff]);

function* decodeEntries(
  raw: Iterable<[Uint8Array, Uint8Array]>,
): Iterable<[string, unknown]> {
  const dec = new TextDecoder();
  for (const [k, v] of raw) yield [dec.decode(k), JSON.parse(dec.decode(v))];
}

/**
 * A route handler of {@link AppHttpOptions.routes}.
 *
 * @example
 * ```ts
 * import type { RouteHandler } from "@sa/toolkit";
 * const hello: RouteHandler = () => new Response("hello");
 * ```
 */
export type RouteHandler = (req: Request) => Response | Promise<Response>;

/**
 * Options of the app's HTTP server (`ApplicationOptions.http`).
 *
 * @example
 * ```ts
 * import { Application } from "@sa/toolkit";
 * const app = new Application({
 *   http: { port: 8090, routes: { "/": () => new Response("hello") } },
 * });
 * ```
 */
export interface AppHttpOptions {
  /** Port; 0 picks a free one. Default `SA_HTTP_PORT`; with neither, no server runs. */
  port?: number;
  /** Interface. Default `SA_HTTP_HOST`, else 127.0.0.1. */
  host?: string;
  /**
   * The URL other instances of the app reach this one at (they forward reads of keys this
   * instance owns here). Default `SA_ADVERTISED_URL`, else `http://<host>:<port>`.
   */
  advertisedUrl?: string;
  /** Topics `/topics/<topic>` may push (default: any existing topic). */
  topics?: string[];
  /** Extra routes by exact path, e.g. `{ "/": () => new Response(page) }`. */
  routes?: Record<string, RouteHandler>;
  /** Called with the base URL once listening. */
  onListen?: (url: string) => void;
}

/** The running server. */
export interface AppHttp {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the server if configured; null when neither `options.port` nor SA_HTTP_PORT is set. */
export function startAppHttp(
  app: Application,
  registry: object,
  options: AppHttpOptions | undefined,
): AppHttp | null {
  const envPort = readEnv("SA_HTTP_PORT");
  let port = options?.port;
  if (port === undefined && envPort !== undefined) {
    port = Number(envPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new Error(`SA_HTTP_PORT must be a port number (0-65535), not "${envPort}"`);
    }
  }
  if (port === undefined) return null;
  const host = options?.host ?? readEnv("SA_HTTP_HOST") ?? "127.0.0.1";
  const views = viewsOf(registry);
  const brokers = app.brokerAddress.split(",").map((b) => b.trim()).filter(Boolean);
  const streams = new TopicStreams({ brokers, topics: options?.topics });
  const stateDir = app.state instanceof DurableStateBackend ? app.state.groupDir : undefined;
  const metrics = new AppMetrics(
    app.consumerGroup,
    stateDir,
    () => views.values(),
    () => streams.sessions(),
  );
  const removeMetrics = app.observers.add(metrics);
  // Views learn what is applied, and drop the keys of partitions taken away.
  const removeViews = app.observers.add({
    processed(topic, partition, last) {
      for (const v of views.values()) if (v.topic === topic) v.advance(partition, last + 1);
    },
    assigned(tps) {
      // Durable views: the store of each new partition is restored by now; load it.
      for (const tp of tps) {
        const i = tp.lastIndexOf(":");
        const topic = tp.slice(0, i);
        const partition = Number(tp.slice(i + 1));
        for (const v of views.values()) {
          if (v.topic !== topic || !v.storeName) continue;
          const store = app.state.store(v.storeName, topic, partition);
          v.load(partition, decodeEntries(store.scan(new Uint8Array(0), ALL_UTF8_KEYS)));
        }
      }
    },
    revoked(tps) {
      for (const tp of tps) {
        const i = tp.lastIndexOf(":");
        for (const v of views.values()) {
          if (v.topic === tp.slice(0, i)) v.revoke(Number(tp.slice(i + 1)));
        }
      }
    },
  });
  const routes = options?.routes ?? {};
  let router: GroupKeyRouter | undefined;
  let removeRouter = () => {};
  let viewsHttp = new ViewsHttp(views);
  const handler = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    try {
      if (Object.hasOwn(routes, path)) return await routes[path](req);
      if (path === "/metrics") {
        return new Response(await metrics.render(), {
          headers: { "content-type": PROM_CONTENT_TYPE },
        });
      }
      if (path === "/views" || path.startsWith("/views/")) return await viewsHttp.handle(req);
      if (path.startsWith("/topics/")) return await streams.handle(req);
      return new Response(`no such path ${path}\n`, { status: 404 });
    } catch (e) {
      app.logger.error(`http ${req.method} ${path} failed: ${(e as Error).message}`);
      return new Response(`internal error: ${(e as Error).message}\n`, { status: 500 });
    }
  };
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: host, port, onListen() {} }, handler);
  } catch (e) {
    removeMetrics();
    removeViews();
    throw new Error(`cannot serve HTTP on ${host}:${port}: ${(e as Error).message}`, { cause: e });
  }
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const url = `http://${shownHost}:${server.addr.port}`;
  const advertised = options?.advertisedUrl ?? readEnv("SA_ADVERTISED_URL") ?? url;
  if (views.size > 0) {
    router = new GroupKeyRouter(app, brokers, advertised, views);
    viewsHttp = new ViewsHttp(views, router);
    removeRouter = app.observers.add(router);
  }
  app.logger.info(
    `http on ${url}: /metrics${views.size ? `, /views (${[...views.keys()].join(", ")})` : ""}` +
      `, /topics/<topic>`,
  );
  options?.onListen?.(url);
  return {
    url,
    async close() {
      streams.close();
      removeMetrics();
      removeViews();
      removeRouter();
      await router?.close();
      await server.shutdown();
    },
  };
}
