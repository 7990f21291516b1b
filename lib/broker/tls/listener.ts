/**
 * The broker's TLS listener (`--tls-cert`, `--tls-key`, optionally `--client-ca`).
 *
 * Built on `node:tls` rather than `Deno.listenTls`: Deno 2.9's `listenTls` has no option to
 * request or verify client certificates, while its `node:tls` server does (`requestCert`,
 * `rejectUnauthorized`, `ca`), which mutual TLS needs. Each accepted socket is wrapped as the
 * small part of `Deno.Conn` the connection layer uses (read, write, close, remoteAddr), so
 * {@link Connection} serves TLS and plain TCP the same way.
 *
 * @module
 */
import tls from "node:tls";
import { Buffer } from "node:buffer";
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { Logger } from "../../util/log.ts";

/** PEM material of a TLS listener. */
export interface TlsListenOptions {
  /** Server certificate chain (PEM). */
  cert: string;
  /** Server private key (PEM). */
  key: string;
  /** CA bundle (PEM) client certificates must chain to; set: mutual TLS is required. */
  clientCa?: string;
}

/** Stop reading from the socket while this many received bytes wait for the reader. */
const HIGH_WATER = 1 << 20;

/** A TLS socket as a byte stream with `Deno.Conn`'s read/write/close shape. */
class TlsSocketConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly localAddr: Deno.NetAddr;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;

  constructor(private readonly socket: tls.TLSSocket) {
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "unknown",
      port: socket.remotePort ?? 0,
    };
    this.localAddr = {
      transport: "tcp",
      hostname: socket.localAddress ?? "unknown",
      port: socket.localPort ?? 0,
    };
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#buffered += chunk.byteLength;
      if (this.#buffered >= HIGH_WATER) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (err: Error) => {
      this.#error = err;
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw new Deno.errors.ConnectionReset(this.#error.message);
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    let n = 0;
    while (n < p.length && this.#chunks.length > 0) {
      const c = this.#chunks[0];
      const take = Math.min(c.length, p.length - n);
      p.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(take);
    }
    this.#buffered -= n;
    if (this.#buffered < HIGH_WATER && this.socket.isPaused()) this.socket.resume();
    return n;
  }

  /** Resolves once node has taken the bytes (the caller may then reuse the buffer). */
  write(p: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(new Deno.errors.BrokenPipe(this.#error.message));
    if (this.socket.destroyed) return Promise.reject(new Deno.errors.BadResource("closed"));
    // Copied: the caller recycles pooled buffers once the write resolves.
    const data = Buffer.from(p);
    return new Promise((resolve, reject) => {
      this.socket.write(data, (err) => {
        if (err) reject(new Deno.errors.BrokenPipe(err.message));
        else resolve(p.length);
      });
    });
  }

  close(): void {
    this.socket.destroy();
    this.#ended = true;
    this.#notify();
  }
}

/** A TLS listener whose `accept()` yields connections the broker serves like TCP ones. */
export class TlsListener {
  #queue: TlsSocketConn[] = [];
  #waiting: { resolve: (c: Deno.Conn) => void; reject: (e: Error) => void } | null = null;
  #closed = false;
  /** Every accepted TCP socket, handshaken or not: closing the listener ends them all. */
  readonly #sockets = new Set<{ destroy(): void }>();

  private constructor(private readonly server: tls.Server, readonly addr: Deno.NetAddr) {}

  /** Binds host:port; rejects when the address is taken or the PEM material is invalid. */
  static listen(
    opts: TlsListenOptions & { hostname: string; port: number },
    logger: Logger,
  ): Promise<TlsListener> {
    let server: tls.Server;
    try {
      checkPem(opts);
      server = tls.createServer({
        cert: opts.cert,
        key: opts.key,
        // A client that connects and never completes the handshake is dropped after this.
        handshakeTimeout: 10_000,
        ...(opts.clientCa
          ? { ca: opts.clientCa, requestCert: true, rejectUnauthorized: true }
          : {}),
      });
    } catch (err) {
      return Promise.reject(
        new Error(`invalid TLS certificate or key: ${err instanceof Error ? err.message : err}`),
      );
    }
    return new Promise((resolve, reject) => {
      server.once("error", (err) => reject(mapListenError(err, opts.hostname, opts.port)));
      server.listen(opts.port, opts.hostname, () => {
        const a = server.address() as { address: string; port: number };
        const l = new TlsListener(server, { transport: "tcp", hostname: a.address, port: a.port });
        server.on("connection", (raw: tls.TLSSocket) => {
          l.#sockets.add(raw);
          raw.once("close", () => l.#sockets.delete(raw));
        });
        server.on("secureConnection", (socket: tls.TLSSocket) => l.#push(socket));
        // A failed handshake (plaintext client, untrusted or missing client certificate)
        // never reaches the broker; one line says who and why.
        server.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
          // The TLS socket has no peer address yet when its handshake fails; the raw one has.
          const raw = (socket as unknown as { _parent?: tls.TLSSocket })._parent ?? socket;
          const who = `${raw.remoteAddress ?? "?"}:${raw.remotePort ?? "?"}`;
          logger.warn(`TLS handshake with ${who} failed: ${err.message.split("\n")[0]}`);
          socket.destroy();
        });
        server.on("error", (err) => logger.warn(`TLS listener error: ${err.message}`));
        resolve(l);
      });
    });
  }

  #push(socket: tls.TLSSocket): void {
    if (this.#closed) return void socket.destroy();
    const conn = new TlsSocketConn(socket);
    const w = this.#waiting;
    if (w) {
      this.#waiting = null;
      w.resolve(conn as unknown as Deno.Conn);
    } else {
      this.#queue.push(conn);
    }
  }

  /** The next connection whose handshake succeeded; rejects with BadResource once closed. */
  accept(): Promise<Deno.Conn> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("listener closed"));
    const next = this.#queue.shift();
    if (next) return Promise.resolve(next as unknown as Deno.Conn);
    return new Promise((resolve, reject) => this.#waiting = { resolve, reject });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.server.close();
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    for (const c of this.#queue) c.close();
    this.#queue = [];
    this.#waiting?.reject(new Deno.errors.BadResource("listener closed"));
    this.#waiting = null;
  }
}

/**
 * node:tls accepts a key that does not match the certificate and fails every handshake
 * later; check the material up front so a mistake is one error at start.
 */
export function checkPem(opts: TlsListenOptions): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(opts.cert);
  } catch (err) {
    throw new Error(`the certificate is not a PEM X.509 certificate (${(err as Error).message})`);
  }
  let key;
  try {
    key = createPrivateKey(opts.key);
  } catch (err) {
    throw new Error(`the key is not a PEM private key (${(err as Error).message})`);
  }
  if (!cert.checkPrivateKey(key)) throw new Error("the key does not match the certificate");
  if (opts.clientCa !== undefined) {
    try {
      new X509Certificate(opts.clientCa);
    } catch (err) {
      throw new Error(`the client CA is not a PEM certificate (${(err as Error).message})`);
    }
  }
}

function mapListenError(err: Error & { code?: string }, host: string, port: number): Error {
  if (err.code === "EADDRINUSE") return new Deno.errors.AddrInUse(`${host}:${port} in use`);
  if (err.code === "EADDRNOTAVAIL") {
    return new Deno.errors.AddrNotAvailable(`${host}:${port} not available`);
  }
  if (err.code === "EACCES") return new Deno.errors.PermissionDenied(err.message);
  return err;
}
