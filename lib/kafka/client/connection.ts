/**
 * One connection to one Kafka broker: TCP or TLS (a given CA or the system CAs; a client
 * certificate for mutual TLS), ApiVersions negotiation, SASL (PLAIN, SCRAM-SHA-256/512 over
 * SaslHandshake v1 + SaslAuthenticate v0), then pipelined requests: many may be in flight,
 * answers are matched by correlation id.
 *
 * Each request is encoded into one buffer and goes out with one socket write (requests queued
 * behind a write in progress are joined into the next one). Responses are cut out of large
 * read buffers without copying: a buffer is never written again below what has been handed
 * out, so a response `Reader` (and views into it, e.g. fetched records) stay valid; a
 * response larger than the room left is read straight into its own allocation.
 *
 * @module
 */
import { Reader, Writer } from "../protocol/codec.ts";
import { isScramMechanism, ScramClient } from "../protocol/scram.ts";
import { errorInfo, KafkaClientError } from "./errors.ts";

/** How to reach a secured broker (structurally the runtime's `ClientSecurity`). */
export interface ConnectSecurity {
  /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (informational: `tls` and `sasl` decide). */
  protocol: string;
  /** SASL credentials: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512. */
  sasl?: { mechanism: string; username: string; password: string };
  /** TLS: PEM contents of the CA (default: system CAs) and of a client certificate and key. */
  tls?: { ca?: string; cert?: string; key?: string };
}

/** Options of {@link KafkaConnection.open}. */
export interface ConnectionOptions {
  /** Sent in every request header. */
  clientId: string;
  security?: ConnectSecurity;
  /** Connect, TLS handshake, ApiVersions and SASL together. Default 10000. */
  connectTimeoutMs?: number;
  /** Default time a request may wait for its answer; the connection is closed after. Default 30000. */
  requestTimeoutMs?: number;
}

/** Options of one {@link KafkaConnection.request}. */
export interface RequestOptions {
  /** Request header v2 (KIP-482 flexible versions); the response header then has tags too. */
  flexible?: boolean;
  /** Overrides the connection's request timeout (e.g. a long-polling Fetch). */
  timeoutMs?: number;
  /** Produce with acks=0: the broker sends nothing back; resolves once written. */
  noResponse?: boolean;
  /** Expected request size, so a large request is encoded without regrowing its buffer. */
  sizeHint?: number;
}

/** The software name and version sent in ApiVersions v3. */
export const CLIENT_SOFTWARE = { name: "sa", version: "0.1.0" };

const API_VERSIONS = 18;
const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
/** Bytes per read buffer; a response is cut out of it when it fits. */
const READ_BUFFER_BYTES = 1024 * 1024;
/** Largest response accepted (a bigger size prefix means the stream is not Kafka). */
const MAX_RESPONSE_BYTES = 1024 * 1024 * 1024;

const enc = new TextEncoder();
const dec = new TextDecoder();
const EMPTY_READER = new Reader(new Uint8Array(0));

interface Pending {
  resolve(r: Reader): void;
  reject(e: Error): void;
  deadline: number;
  timeoutMs: number;
  flexibleResponse: boolean;
  apiKey: number;
}

/** Splits `host:port` (IPv6 in brackets allowed). */
export function splitAddress(address: string): { hostname: string; port: number } {
  const i = address.lastIndexOf(":");
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new KafkaClientError(
      errorInfo(42),
      `broker address ${JSON.stringify(address)} is not host:port`,
    );
  }
  return { hostname: address.slice(0, i).replace(/^\[|\]$/g, ""), port };
}

/** A connection to one broker; see the module documentation. */
export class KafkaConnection {
  readonly address: string;
  readonly clientId: string;
  /** Resolves when the connection is closed (by either side), never rejects. */
  readonly closed: Promise<void>;
  #conn: Deno.Conn;
  #clientIdBytes: Uint8Array;
  #requestTimeoutMs: number;
  #correlation = 0;
  #pending = new Map<number, Pending>();
  #versions = new Map<number, number>();
  #isClosed = false;
  #closeError: KafkaClientError | null = null;
  #resolveClosed!: () => void;
  #writing = false;
  #writeQueue: Uint8Array[] = [];
  #timer: ReturnType<typeof setInterval>;

  private constructor(conn: Deno.Conn, address: string, opts: ConnectionOptions) {
    this.#conn = conn;
    this.address = address;
    this.clientId = opts.clientId;
    this.#clientIdBytes = enc.encode(opts.clientId);
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.closed = new Promise((r) => this.#resolveClosed = r);
    this.#timer = setInterval(() => this.#expire(), 100);
    Deno.unrefTimer(this.#timer as unknown as number);
    this.#readLoop();
  }

  /**
   * Connects, negotiates versions and authenticates. Rejects with a {@link KafkaClientError}:
   * NETWORK_EXCEPTION (refused, closed; retriable), REQUEST_TIMED_OUT (retriable), or, not
   * retriable, SSL_HANDSHAKE_FAILED (wrong CA, refused client certificate, not a TLS port),
   * SASL_AUTHENTICATION_FAILED or UNSUPPORTED_SASL_MECHANISM.
   */
  static async open(address: string, opts: ConnectionOptions): Promise<KafkaConnection> {
    const { hostname, port } = splitAddress(address);
    const timeoutMs = opts.connectTimeoutMs ?? 10_000;
    let conn: Deno.Conn | undefined;
    let kc: KafkaConnection | undefined;
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const setup = (async () => {
      const tls = opts.security?.tls;
      try {
        if (tls) {
          const c = await Deno.connectTls({
            hostname,
            port,
            ...(tls.ca ? { caCerts: [tls.ca] } : {}),
            ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
          });
          conn = c;
          try {
            await c.handshake();
          } catch (err) {
            // A refused certificate (or a listener that does not speak TLS) stays refused.
            throw new KafkaClientError(
              { code: 13, name: "SSL_HANDSHAKE_FAILED", retriable: false },
              `TLS handshake with ${address} failed: ${(err as Error).message}`,
              { cause: err },
            );
          }
        } else {
          const c = await Deno.connect({ hostname, port });
          conn = c;
          c.setNoDelay(true);
        }
      } catch (err) {
        if (err instanceof KafkaClientError) throw err;
        throw KafkaClientError.network(`connecting to ${address}${tls ? " (TLS)" : ""}`, err);
      }
      if (timedOut) throw KafkaClientError.timeout(`connecting to ${address}`, timeoutMs);
      kc = new KafkaConnection(conn, address, opts);
      await kc.#negotiate();
      if (opts.security?.sasl) await kc.#saslLogin(opts.security.sasl);
      return kc;
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(KafkaClientError.timeout(`connecting to ${address}`, timeoutMs));
      }, timeoutMs);
    });
    try {
      return await Promise.race([setup, timeout]);
    } catch (err) {
      // Whatever the setup still opens after a timeout is closed when it arrives.
      setup.then((c) => c.close(), () => {});
      if (kc) kc.close();
      else {
        try {
          conn?.close();
        } catch { /* already closed */ }
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The highest version of `apiKey` the broker serves, or -1 when it serves none. */
  maxVersion(apiKey: number): number {
    return this.#versions.get(apiKey) ?? -1;
  }

  /**
   * The highest version in `[min, max]` (the versions this client can encode) the broker
   * serves; throws UNSUPPORTED_VERSION naming the API when there is none.
   */
  pickVersion(apiKey: number, min: number, max: number, what = `API ${apiKey}`): number {
    const v = Math.min(max, this.maxVersion(apiKey));
    if (v < min) {
      throw new KafkaClientError(
        errorInfo(35),
        `${this.address} does not serve ${what} v${min}–${max} (serves up to v${
          this.maxVersion(apiKey)
        })`,
      );
    }
    return v;
  }

  /** Whether the connection is closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Sends one request; resolves with a Reader at the response body (after its header).
   * Rejects with a retriable {@link KafkaClientError} when the connection closes or the
   * answer does not come in time (the connection is then closed: its state is unknown).
   */
  request(
    apiKey: number,
    version: number,
    body: (w: Writer) => void,
    opts: RequestOptions = {},
  ): Promise<Reader> {
    if (this.#isClosed) {
      return Promise.reject(
        this.#closeError ?? KafkaClientError.network(`${this.address}: closed`),
      );
    }
    const id = this.#correlation = (this.#correlation + 1) & 0x7fffffff;
    const w = new Writer(Math.max(256, (opts.sizeHint ?? 0) + 64 + this.#clientIdBytes.length));
    w.int32(0).int16(apiKey).int16(version).int32(id);
    w.int16(this.#clientIdBytes.length).raw(this.#clientIdBytes);
    if (opts.flexible) w.taggedFields();
    w.flexible = opts.flexible ?? false;
    try {
      body(w);
    } catch (err) {
      return Promise.reject(err);
    }
    w.patchInt32(0, w.pos - 4);
    const frame = w.finish();
    if (opts.noResponse) {
      this.#send(frame);
      return Promise.resolve(EMPTY_READER);
    }
    const timeoutMs = opts.timeoutMs ?? this.#requestTimeoutMs;
    const p = new Promise<Reader>((resolve, reject) => {
      this.#pending.set(id, {
        resolve,
        reject,
        timeoutMs,
        deadline: Date.now() + timeoutMs,
        // ApiVersions answers with header v0 whatever the request's version (KIP-511).
        flexibleResponse: (opts.flexible ?? false) && apiKey !== API_VERSIONS,
        apiKey,
      });
    });
    this.#send(frame);
    return p;
  }

  /** Closes the socket; requests in flight reject with NETWORK_EXCEPTION. */
  close(): void {
    this.#shutdown(KafkaClientError.network(`${this.address}: connection closed by the client`));
  }

  #shutdown(err: KafkaClientError): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#closeError = err;
    clearInterval(this.#timer);
    try {
      this.#conn.close();
    } catch { /* already closed */ }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(err);
    this.#writeQueue = [];
    this.#resolveClosed();
  }

  #expire(): void {
    if (this.#pending.size === 0) return;
    const now = Date.now();
    for (const [id, p] of this.#pending) {
      if (p.deadline <= now) {
        this.#pending.delete(id);
        const err = KafkaClientError.timeout(
          `${this.address}: request (API ${p.apiKey})`,
          p.timeoutMs,
        );
        p.reject(err);
        this.#shutdown(err);
        return;
      }
    }
  }

  #send(frame: Uint8Array): void {
    if (this.#writing) {
      this.#writeQueue.push(frame);
      return;
    }
    this.#writing = true;
    this.#writeLoop(frame);
  }

  async #writeLoop(first: Uint8Array): Promise<void> {
    let frame: Uint8Array | null = first;
    try {
      while (frame) {
        let off = 0;
        while (off < frame.length) off += await this.#conn.write(frame.subarray(off));
        const q = this.#writeQueue;
        if (q.length === 0) frame = null;
        else if (q.length === 1) frame = q.pop()!;
        else {
          let n = 0;
          for (const f of q) n += f.length;
          frame = new Uint8Array(n);
          n = 0;
          for (const f of q) {
            frame.set(f, n);
            n += f.length;
          }
          q.length = 0;
        }
      }
    } catch (err) {
      this.#shutdown(KafkaClientError.network(`${this.address}: write failed`, err));
    } finally {
      this.#writing = false;
    }
  }

  async #readLoop(): Promise<void> {
    let buf = new Uint8Array(READ_BUFFER_BYTES);
    let start = 0; // first byte not yet handed out
    let end = 0; // first byte not yet received
    try {
      for (;;) {
        // Hand out every complete response in [start, end).
        while (end - start >= 4) {
          const size = ((buf[start] << 24) | (buf[start + 1] << 16) | (buf[start + 2] << 8) |
            buf[start + 3]) | 0;
          if (size < 4 || size > MAX_RESPONSE_BYTES) {
            throw KafkaClientError.network(
              `${this.address}: response size ${size} is not a Kafka frame`,
            );
          }
          if (end - start - 4 < size) {
            if (start + 4 + size > buf.length) {
              // Does not fit: move the partial response to a buffer it fits in, read the rest there.
              const next = new Uint8Array(Math.max(READ_BUFFER_BYTES, 4 + size));
              next.set(buf.subarray(start, end));
              end -= start;
              start = 0;
              buf = next;
            }
            break;
          }
          this.#deliver(buf.subarray(start + 4, start + 4 + size));
          start += 4 + size;
        }
        if (start === end && start > 0 && buf.length - end < 4096) {
          // Everything handed out and little room left: a fresh buffer (old views stay valid).
          buf = new Uint8Array(READ_BUFFER_BYTES);
          start = end = 0;
        } else if (end === buf.length) {
          const next = new Uint8Array(READ_BUFFER_BYTES);
          next.set(buf.subarray(start, end));
          end -= start;
          start = 0;
          buf = next;
        }
        let n: number | null;
        try {
          n = await this.#conn.read(buf.subarray(end));
        } catch (err) {
          if (this.#isClosed) return;
          throw KafkaClientError.network(`${this.address}: read failed`, err);
        }
        if (n === null) {
          throw KafkaClientError.network(`${this.address}: connection closed by the broker`);
        }
        end += n;
      }
    } catch (err) {
      this.#shutdown(
        err instanceof KafkaClientError ? err : KafkaClientError.network(this.address, err),
      );
    }
  }

  #deliver(frame: Uint8Array): void {
    const r = new Reader(frame);
    const id = r.int32();
    const p = this.#pending.get(id);
    if (!p) {
      throw KafkaClientError.network(`${this.address}: response to unknown correlation id ${id}`);
    }
    this.#pending.delete(id);
    try {
      if (p.flexibleResponse) r.taggedFields();
      r.flexible = p.flexibleResponse;
    } catch (err) {
      p.reject(KafkaClientError.network(`${this.address}: malformed response header`, err));
      return;
    }
    p.resolve(r);
  }

  /** ApiVersions v3 (v0 if the broker refuses v3): the broker's version range per API key. */
  async #negotiate(): Promise<void> {
    let r = await this.request(API_VERSIONS, 3, (w) => {
      w.compactString(CLIENT_SOFTWARE.name).compactString(CLIENT_SOFTWARE.version);
      w.taggedFields();
    }, { flexible: true });
    let error = r.int16();
    let v3 = true;
    if (error === 35) {
      // UNSUPPORTED_VERSION: an older broker; its answer is v0-shaped. Ask again with v0.
      r = await this.request(API_VERSIONS, 0, () => {});
      error = r.int16();
      v3 = false;
    }
    if (error !== 0) throw KafkaClientError.fromCode(error, `${this.address}: ApiVersions`);
    const read = (r: Reader) => {
      const key = r.int16();
      r.int16(); // min
      const max = r.int16();
      if (v3) r.taggedFields();
      this.#versions.set(key, max);
    };
    if (v3) r.compactArray(read);
    else r.array(read);
  }

  async #saslLogin(sasl: NonNullable<ConnectSecurity["sasl"]>): Promise<void> {
    const where = `SASL ${sasl.mechanism} login as ${
      JSON.stringify(sasl.username)
    } at ${this.address}`;
    if (this.maxVersion(SASL_HANDSHAKE) < 1) {
      throw new KafkaClientError(
        errorInfo(34),
        `${where}: the broker does not serve SASL (SaslHandshake v1)`,
      );
    }
    const hs = await this.request(SASL_HANDSHAKE, 1, (w) => void w.string(sasl.mechanism));
    const error = hs.int16();
    if (error !== 0) {
      const offered = hs.array((r) => r.string());
      throw KafkaClientError.fromCode(
        error,
        where,
        `the broker offers ${offered.length ? offered.join(", ") : "no mechanism"}`,
      );
    }
    if (sasl.mechanism === "PLAIN") {
      await this.#authenticate(where, enc.encode(`\0${sasl.username}\0${sasl.password}`));
      return;
    }
    if (!isScramMechanism(sasl.mechanism)) {
      throw new KafkaClientError(errorInfo(33), `${where}: unsupported SASL mechanism`);
    }
    const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
    const serverFirst = await this.#authenticate(where, enc.encode(scram.first()));
    const serverFinal = await this.#authenticate(
      where,
      enc.encode(await scram.final(dec.decode(serverFirst))),
    );
    try {
      scram.verify(dec.decode(serverFinal));
    } catch (err) {
      throw new KafkaClientError(errorInfo(58), `${where}: ${(err as Error).message}`);
    }
  }

  /** One SaslAuthenticate v0 exchange: the server's token. */
  async #authenticate(where: string, token: Uint8Array): Promise<Uint8Array> {
    const r = await this.request(SASL_AUTHENTICATE, 0, (w) => void w.bytes(token));
    const error = r.int16();
    const message = r.nullableString();
    const answer = r.bytes();
    if (error !== 0) throw KafkaClientError.fromCode(error, where, message);
    return answer;
  }
}
