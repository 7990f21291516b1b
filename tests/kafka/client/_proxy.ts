/**
 * A TCP proxy in front of a broker for behaviour tests: it records the (API key, version) of
 * every request, and lets a test drop a response and cut the connection (a lost answer), or
 * rewrite a response (e.g. an older broker's ApiVersions).
 *
 * @module
 */

/** What the proxy does with one response. */
export type ResponseAction = "forward" | "drop-and-close";

/** Hooks of {@link startProxy}. */
export interface ProxyHooks {
  /**
   * Decides per response; `apiKey` and `version` are the request's. A promise holds this
   * response (and the ones behind it on the connection) until it settles.
   */
  onResponse?: (
    apiKey: number,
    version: number,
    frame: Uint8Array,
  ) => ResponseAction | Promise<ResponseAction>;
  /** Rewrites a response payload (without its size prefix) before it is forwarded. */
  rewrite?: (apiKey: number, version: number, payload: Uint8Array) => Uint8Array;
}

/** A running proxy. */
export interface Proxy {
  readonly address: string;
  /** `[apiKey, version]` of every request seen, in order. */
  readonly requests: [number, number][];
  close(): Promise<void>;
}

async function* frames(conn: Deno.Conn): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(0);
  const chunk = new Uint8Array(256 * 1024);
  for (;;) {
    while (buf.length >= 4) {
      const size = new DataView(buf.buffer, buf.byteOffset).getInt32(0);
      if (buf.length < 4 + size) break;
      yield buf.slice(4, 4 + size);
      buf = buf.slice(4 + size);
    }
    const n = await conn.read(chunk).catch(() => null);
    if (n === null) return;
    const merged = new Uint8Array(buf.length + n);
    merged.set(buf);
    merged.set(chunk.subarray(0, n), buf.length);
    buf = merged;
  }
}

function framed(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setInt32(0, payload.length);
  out.set(payload, 4);
  return out;
}

/**
 * Points the broker addresses in Metadata v8 and FindCoordinator v2 answers at the proxy, so
 * every connection the client opens goes through it.
 */
function advertise(apiKey: number, version: number, f: Uint8Array, port: number): void {
  const v = new DataView(f.buffer, f.byteOffset, f.byteLength);
  if (apiKey === 3 && version === 8) {
    let at = 8; // correlation id, throttle
    const n = v.getInt32(at);
    at += 4;
    for (let i = 0; i < n; i++) {
      at += 4; // node id
      at += 2 + v.getInt16(at); // host
      v.setInt32(at, port);
      at += 4;
      const rack = v.getInt16(at);
      at += 2 + Math.max(0, rack);
    }
  } else if (apiKey === 10 && version === 2) {
    let at = 10; // correlation id, throttle, error code
    at += 2 + Math.max(0, v.getInt16(at)); // error message
    at += 4; // node id
    at += 2 + v.getInt16(at); // host
    v.setInt32(at, port);
  }
}

/** Forwards to `target` (`host:port`), plaintext. */
export function startProxy(target: string, hooks: ProxyHooks = {}): Proxy {
  const [host, port] = [
    target.slice(0, target.lastIndexOf(":")),
    Number(target.slice(target.lastIndexOf(":") + 1)),
  ];
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const proxyPort = (listener.addr as Deno.NetAddr).port;
  const requests: [number, number][] = [];
  const conns = new Set<Deno.Conn>();
  const tasks: Promise<void>[] = [];
  const close = (c: Deno.Conn) => {
    try {
      c.close();
    } catch { /* closed */ }
  };
  const accept = (async () => {
    for await (const client of listener) {
      const server = await Deno.connect({ hostname: host, port });
      conns.add(client);
      conns.add(server);
      const inFlight = new Map<number, [number, number]>();
      tasks.push((async () => {
        for await (const f of frames(client)) {
          const v = new DataView(f.buffer);
          const key = v.getInt16(0), version = v.getInt16(2), id = v.getInt32(4);
          requests.push([key, version]);
          inFlight.set(id, [key, version]);
          await server.write(framed(f)).catch(() => {});
        }
        close(server);
      })());
      tasks.push((async () => {
        for await (let f of frames(server)) {
          const id = new DataView(f.buffer).getInt32(0);
          const [key, version] = inFlight.get(id) ?? [-1, -1];
          inFlight.delete(id);
          if ((await hooks.onResponse?.(key, version, f)) === "drop-and-close") {
            close(client);
            close(server);
            return;
          }
          advertise(key, version, f, proxyPort);
          if (hooks.rewrite) f = hooks.rewrite(key, version, f);
          await client.write(framed(f)).catch(() => {});
        }
        close(client);
      })());
    }
  })();
  return {
    address: `127.0.0.1:${proxyPort}`,
    requests,
    async close() {
      listener.close();
      await accept.catch(() => {});
      for (const c of conns) close(c);
      await Promise.allSettled(tasks);
    },
  };
}
