/**
 * The TCP listener: accepts connections and serves each with a {@link Connection}.
 *
 * @module
 */
import { Connection } from "./connection.ts";
import type { BrokerState } from "./state.ts";
import type { Logger } from "../util/log.ts";
import { MAX_FRAME_BYTES } from "../kafka/protocol/frame.ts";

/** Pooled request/response buffers are dropped after this long without traffic. */
const POOL_IDLE_MS = 30_000;
/** At most one "connection limit reached" line per this long. */
const LIMIT_LOG_EVERY_MS = 10_000;

/** What the accept loop needs of a listener: Deno's TCP one or the TLS one (tls/listener.ts). */
export interface AcceptingListener {
  readonly addr: Deno.NetAddr;
  accept(): Promise<Deno.Conn>;
  close(): void;
}

/** A listening broker socket and its live connections. */
export class BrokerServer {
  private readonly connections = new Set<Connection>();
  private readonly serving = new Set<Promise<void>>();
  private acceptLoop: Promise<void> | null = null;
  private closed = false;
  /** Gives the pooled buffers back to the system once the broker has been idle a while. */
  private readonly trimTimer: ReturnType<typeof setInterval>;
  /** Closes connections idle past `connections.max.idle.ms`. */
  private readonly idleTimer: ReturnType<typeof setInterval>;
  private refusedSinceLog = 0;
  private lastLimitLog = 0;

  private constructor(
    private readonly listener: AcceptingListener,
    private readonly state: BrokerState,
    private readonly logger: Logger,
    private readonly maxFrameBytes: number,
  ) {
    this.trimTimer = setInterval(() => state.buffers.trimIdle(POOL_IDLE_MS), POOL_IDLE_MS / 3);
    const idle = state.limits.idleTimeoutMs;
    this.idleTimer = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections) {
        if (now - c.lastActivity > idle) c.closeIdle(idle);
      }
    }, Math.max(10, Math.min(idle / 4, 10_000)));
  }

  /**
   * Binds host:port (port 0 picks a free port), or serves an already bound `listener` (TLS).
   * Throws if the address is in use.
   */
  static listen(
    opts: { host: string; port: number; maxFrameBytes?: number; listener?: AcceptingListener },
    state: (addr: Deno.NetAddr) => BrokerState,
    logger: Logger,
  ): BrokerServer {
    const listener = opts.listener ??
      Deno.listen({ hostname: opts.host, port: opts.port, transport: "tcp" });
    const server = new BrokerServer(
      listener,
      state(listener.addr),
      logger,
      opts.maxFrameBytes ?? MAX_FRAME_BYTES,
    );
    server.acceptLoop = server.accept();
    return server;
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    return this.listener.addr;
  }

  /** The broker state handlers run against. */
  get brokerState(): BrokerState {
    return this.state;
  }

  private async accept(): Promise<void> {
    while (!this.closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.listener.accept();
      } catch (err) {
        if (this.closed || err instanceof Deno.errors.BadResource) return;
        // e.g. out of file descriptors: back off instead of spinning on the error.
        this.logger.warn(`accept failed: ${err instanceof Error ? err.message : err}`);
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      try {
        (conn as Partial<Deno.TcpConn>).setNoDelay?.(true);
      } catch {
        // the peer may already be gone
      }
      if (this.connections.size >= this.state.limits.maxConnections) {
        // Refused at once, so a flood of sockets cannot take descriptors or memory.
        try {
          conn.close();
        } catch { /* gone */ }
        this.refusedSinceLog++;
        const now = Date.now();
        if (now - this.lastLimitLog >= LIMIT_LOG_EVERY_MS) {
          this.logger.warn(
            `connection limit ${this.state.limits.maxConnections} reached: refused ` +
              `${this.refusedSinceLog} connection(s)`,
          );
          this.lastLimitLog = now;
          this.refusedSinceLog = 0;
        }
        continue;
      }
      const c = new Connection(conn, this.state, this.logger, this.maxFrameBytes);
      this.connections.add(c);
      const p: Promise<void> = c.serve().finally(() => {
        this.connections.delete(c);
        this.serving.delete(p);
      });
      this.serving.add(p);
    }
  }

  /** Stops accepting, closes every connection and waits for their loops to finish. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.trimTimer);
    clearInterval(this.idleTimer);
    try {
      this.listener.close();
    } catch {
      // already closed
    }
    await this.acceptLoop;
    for (const c of this.connections) c.close();
    await Promise.all([...this.serving]);
  }
}
