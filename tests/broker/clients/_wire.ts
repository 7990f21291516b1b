/**
 * Raw Kafka wire helpers for tests: a frame-level client and a recording TCP proxy that
 * captures the requests real clients send (the fuzz test mutates them; the idempotence test
 * replays one).
 *
 * @module
 */

/** Reads exactly `n` bytes, or null when the peer closed first. */
async function readExact(conn: Deno.Conn, n: number): Promise<Uint8Array | null> {
  const buf = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const r = await conn.read(buf.subarray(got));
    if (r === null) return null;
    got += r;
  }
  return buf;
}

/** Reads one size-prefixed frame (body only), or null on close. */
export async function readFrame(conn: Deno.Conn): Promise<Uint8Array | null> {
  const head = await readExact(conn, 4);
  if (!head) return null;
  const size = new DataView(head.buffer).getInt32(0);
  if (size < 0 || size > 200 * 1024 * 1024) throw new Error(`bad response frame size ${size}`);
  return await readExact(conn, size);
}

/** Writes all of `bytes`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Prefixes `body` with its int32 size. */
export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 4);
  new DataView(out.buffer).setInt32(0, body.length);
  out.set(body, 4);
  return out;
}

/** A request body (header v1 + payload) for api `key`/`version` with an empty client id. */
export function requestBody(
  key: number,
  version: number,
  correlationId: number,
  payload: Uint8Array = new Uint8Array(0),
  clientId = "sa-wire",
): Uint8Array {
  const id = new TextEncoder().encode(clientId);
  const out = new Uint8Array(10 + id.length + payload.length);
  const dv = new DataView(out.buffer);
  dv.setInt16(0, key);
  dv.setInt16(2, version);
  dv.setInt32(4, correlationId);
  dv.setInt16(8, id.length);
  out.set(id, 10);
  out.set(payload, 10 + id.length);
  return out;
}

/** Sends one request and returns the response body (correlation id first), or null on close. */
export async function roundTrip(conn: Deno.Conn, body: Uint8Array): Promise<Uint8Array | null> {
  await writeAll(conn, frame(body));
  return await readFrame(conn);
}

/** One captured request: the frame body (header + payload) as the client sent it. */
export interface CapturedRequest {
  apiKey: number;
  apiVersion: number;
  body: Uint8Array;
}

/**
 * A TCP proxy in front of `target` that records every request frame clients send through it.
 * Responses are forwarded untouched except for the broker port in Metadata and
 * FindCoordinator responses, which is rewritten to the proxy's so clients keep using it.
 */
export class RecordingProxy {
  readonly requests: CapturedRequest[] = [];
  #listener: Deno.Listener;
  #conns = new Set<Deno.Conn>();
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void>;

  constructor(private readonly targetPort: number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept();
  }

  /** "127.0.0.1:PORT" of the proxy. */
  get address(): string {
    return `127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`;
  }

  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  async #accept(): Promise<void> {
    for await (const client of this.#listener) {
      this.#conns.add(client);
      const task = this.#pipe(client).finally(() => this.#tasks.delete(task));
      this.#tasks.add(task);
    }
  }

  async #pipe(client: Deno.Conn): Promise<void> {
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: this.targetPort });
    } catch {
      this.#close(client);
      return;
    }
    this.#conns.add(upstream);
    // Which api each in-flight correlation id belongs to, so Metadata responses can be rewritten.
    const inflight = new Map<number, { key: number; version: number }>();
    const up = (async () => {
      try {
        while (true) {
          const body = await readFrame(client);
          if (!body) break;
          const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
          const key = dv.getInt16(0), version = dv.getInt16(2);
          inflight.set(dv.getInt32(4), { key, version });
          this.requests.push({ apiKey: key, apiVersion: version, body: body.slice() });
          await writeAll(upstream, frame(body));
        }
      } catch { /* connection torn down */ }
      this.#close(upstream);
    })();
    const down = (async () => {
      try {
        while (true) {
          let body = await readFrame(upstream);
          if (!body) break;
          const corr = new DataView(body.buffer, body.byteOffset).getInt32(0);
          const req = inflight.get(corr);
          inflight.delete(corr);
          if (req) body = rewriteBrokerPort(body, req, this.targetPort, this.port);
          await writeAll(client, frame(body));
        }
      } catch { /* connection torn down */ }
      this.#close(client);
    })();
    await Promise.all([up, down]);
  }

  #close(c: Deno.Conn): void {
    if (!this.#conns.delete(c)) return;
    try {
      c.close();
    } catch { /* already closed */ }
  }

  /** Stops accepting, closes every proxied connection and waits for the pumps to end. */
  async close(): Promise<void> {
    this.#listener.close();
    await this.#accepting.catch(() => {});
    for (const c of [...this.#conns]) this.#close(c);
    await Promise.all([...this.#tasks]);
  }
}

/** The offset just past the (nullable) int16-length string at `p`. */
function skipString(dv: DataView, p: number): number {
  return p + 2 + Math.max(0, dv.getInt16(p));
}

/**
 * Where a response carries broker ports: Metadata v0–6 [corr][throttle v3+][brokers: count,
 * {node i32, host str, port i32, rack str? v1+}]..., FindCoordinator v0–2 [corr][throttle v1+]
 * [error i16][message str? v1+][node][host][port]; none for any other api.
 */
function brokerPortOffsets(dv: DataView, key: number, version: number): number[] {
  if (key === 3) {
    const at: number[] = [];
    let p = 4 + (version >= 3 ? 4 : 0);
    const n = dv.getInt32(p);
    p += 4;
    for (let i = 0; i < n; i++) {
      p = skipString(dv, p + 4); // node id, host
      at.push(p);
      p += 4;
      if (version >= 1) p = skipString(dv, p); // rack
    }
    return at;
  }
  if (key === 10) {
    let p = 4 + (version >= 1 ? 4 : 0) + 2;
    if (version >= 1) p = skipString(dv, p); // error message
    p = skipString(dv, p + 4); // node id, host
    return p + 4 <= dv.byteLength ? [p] : [];
  }
  return [];
}

/** Replaces broker port `from` with `to` in a response (a copy), so clients keep using the proxy. */
function rewriteBrokerPort(
  body: Uint8Array,
  req: { key: number; version: number },
  from: number,
  to: number,
): Uint8Array {
  const at = brokerPortOffsets(
    new DataView(body.buffer, body.byteOffset, body.byteLength),
    req.key,
    req.version,
  );
  if (at.length === 0) return body;
  const out = body.slice();
  const dv = new DataView(out.buffer);
  for (const p of at) if (dv.getInt32(p) === from) dv.setInt32(p, to);
  return out;
}

/** Where the single record batch of a one-topic, one-partition Produce v3–7 request sits. */
export function locateProduceBatch(body: Uint8Array): { start: number; length: number } {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let p = 8;
  p = skipString(dv, p); // client id
  p = skipString(dv, p); // transactional id
  p += 2 + 4; // acks, timeout
  if (dv.getInt32(p) !== 1) throw new Error("expected one topic");
  p += 4;
  p += 2 + dv.getInt16(p); // topic name
  if (dv.getInt32(p) !== 1) throw new Error("expected one partition");
  p += 4 + 4; // count, partition index
  const length = dv.getInt32(p);
  return { start: p + 4, length };
}

/** First partition result of a Produce v3–7 response body (correlation id first). */
export function parseProduceResponse(body: Uint8Array): { errorCode: number; baseOffset: number } {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  let p = 4 + 4; // correlation id, topic count
  p += 2 + dv.getInt16(p); // topic name
  p += 4 + 4; // partition count, index
  return { errorCode: dv.getInt16(p), baseOffset: Number(dv.getBigInt64(p + 2)) };
}
