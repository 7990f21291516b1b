/**
 * One client connection: reads frames, dispatches each request to its API handler and writes
 * the responses back strictly in request order.
 *
 * Requests on one connection are handled one at a time, as Kafka does by muting the socket:
 * a parked Fetch delays later requests on that connection only. Clients may pipeline; the
 * next frame is read while a response is still being written. Any malformed request, unknown
 * API or unsupported version (other than ApiVersions, which gets Kafka's v0 fallback) closes
 * this connection with one log line naming the client; other connections are unaffected.
 *
 * @module
 */
import { Reader, Writer } from "../kafka/protocol/codec.ts";
import { ErrorCode, KafkaError, ProtocolError } from "../kafka/protocol/errors.ts";
import { FrameReader, MAX_FRAME_BYTES } from "../kafka/protocol/frame.ts";
import {
  API_VERSIONS_KEY,
  encodeResponseFrame,
  readRequestHeader,
} from "../kafka/protocol/header.ts";
import type { RequestContext } from "./apis/_types.ts";
import type { BrokerState } from "./state.ts";
import type { Logger } from "../util/log.ts";
import { PRE_AUTH_APIS, SaslSession } from "./sasl/session.ts";
import {
  isStreamed,
  releaseBody,
  STREAM_CHUNK_BYTES,
  type StreamedBody,
  writeStreamed,
} from "./response_stream.ts";

/** A response frame whose body is written in pieces: the frame header, then the body. */
interface StreamedFrame {
  head: Uint8Array;
  body: StreamedBody;
}

type Frame = Uint8Array | StreamedFrame;

/** The buffer of a streamed response when the fetch budget is used up. */
const SMALL_CHUNK_BYTES = 16 * 1024;

/** Responses queued for writing before the connection stops handling further requests. */
const MAX_PENDING_WRITES = 16;

/** Serves one accepted socket until the client leaves, it misbehaves, or the broker closes. */
export class Connection {
  readonly clientAddress: string;
  private closed = false;
  /** When the last request was read or response written (`connections.max.idle.ms`). */
  lastActivity = Date.now();
  private idleReason: string | null = null;
  /** Aborted on close: a frame waiting for the request budget stops waiting. */
  private readonly gone = new AbortController();
  private pendingWrites = 0;
  private writeChain: Promise<void> = Promise.resolve();
  /** SASL state when the broker has users; requests wait for authentication. */
  private readonly sasl: SaslSession | undefined;

  constructor(
    private readonly conn: Deno.Conn,
    private readonly state: BrokerState,
    private readonly logger: Logger,
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
  ) {
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.clientAddress = `${addr.hostname}:${addr.port}`;
    if (state.users) this.sasl = new SaslSession(state.users, this.clientAddress, logger);
  }

  /** Runs the request loop; resolves when the connection is closed. Never rejects. */
  async serve(): Promise<void> {
    this.logger.info(`connection opened from ${this.clientAddress}`);
    this.state.stats.connectionsTotal++;
    this.state.stats.connectionsOpen++;
    const frames = new FrameReader(this.conn, this.maxFrameBytes, undefined, this.state.buffers, {
      budget: this.state.requestBudget,
      signal: this.gone.signal,
    });
    let reason = "client closed the connection";
    try {
      while (!this.closed) {
        const frame = await frames.next();
        if (frame === null) break;
        this.lastActivity = Date.now();
        let response;
        try {
          // After a v0 SaslHandshake, frames are bare SASL tokens (no request header).
          response = this.sasl?.raw ? await this.sasl.rawToken(frame) : await this.handle(frame);
        } finally {
          frames.releaseAdmitted();
        }
        if (response !== null) this.enqueueWrite("later" in response ? response.later : response);
        if (this.sasl?.closeAfterWrite) {
          await this.writeChain;
          reason = "SASL authentication failed";
          break;
        }
        if (this.pendingWrites >= MAX_PENDING_WRITES) await this.writeChain;
      }
      await this.writeChain;
    } catch (err) {
      if (this.closed) {
        reason = this.idleReason ?? "broker shutting down";
      } else if (isDisconnect(err)) {
        reason = `client disconnected (${(err as Error).name})`;
      } else {
        if (err instanceof ProtocolError) {
          reason = `protocol error: ${err.message}`;
          this.logger.warn(`closing connection from ${this.clientAddress}: ${err.message}`);
        } else {
          reason = `internal error: ${errorText(err)}`;
          this.logger.error(`closing connection from ${this.clientAddress}: ${errorText(err)}`);
        }
        // Answers to the requests before the bad one still go out, as Kafka would have sent
        // them before reading further.
        await this.writeChain;
      }
    } finally {
      this.close();
      this.state.stats.connectionsOpen--;
      frames.releaseAdmitted();
    }
    if (this.idleReason !== null) reason = this.idleReason;
    this.logger.info(`connection from ${this.clientAddress} closed: ${reason}`);
  }

  /** Closes the socket; the serve loop then ends. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.gone.abort();
    try {
      this.conn.close();
    } catch {
      // already closed by the peer
    }
  }

  /** Closes a connection that has been idle for `ms` (`connections.max.idle.ms`). */
  closeIdle(ms: number): void {
    if (this.closed) return;
    this.idleReason = `idle for more than ${ms} ms`;
    this.close();
  }

  /**
   * Parses and dispatches one request; returns the response frame, null (no response), or,
   * for a pipelined handler still waiting to answer, the frame to come.
   */
  private async handle(
    frame: Uint8Array,
  ): Promise<Frame | null | { later: Promise<Frame | null> }> {
    const r = new Reader(frame);
    let header;
    try {
      header = readRequestHeader(r);
    } catch (err) {
      throw new ProtocolError(`bad request header (${errorText(err)})`);
    }
    const handler = this.state.handlers.get(header.apiKey);
    const what = `api ${header.apiKey} v${header.apiVersion} correlation ${header.correlationId}`;
    if (!handler) throw new ProtocolError(`unknown API key ${header.apiKey} (${what})`);
    const label = `${handler.name} v${header.apiVersion} (correlation ${header.correlationId})`;
    if (this.sasl && !this.sasl.authenticated && !PRE_AUTH_APIS.has(header.apiKey)) {
      throw new ProtocolError(
        `${label} before SASL authentication (only ApiVersions, SaslHandshake and ` +
          `SaslAuthenticate are allowed until then)`,
      );
    }
    if (header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      if (header.apiKey === API_VERSIONS_KEY) {
        // Kafka's fallback: a v0-layout body with UNSUPPORTED_VERSION and our own range, so
        // the client can retry with a version we serve.
        this.logger.debug(`${this.clientAddress}: ${label} unsupported, sent v0 fallback`);
        const body = new Writer(32)
          .int16(ErrorCode.UNSUPPORTED_VERSION.code)
          .int32(1).int16(handler.key).int16(handler.minVersion).int16(handler.maxVersion)
          .finish();
        return encodeResponseFrame(header.correlationId, body, false);
      }
      throw new ProtocolError(
        `unsupported version ${header.apiVersion} of ${handler.name} (serves ` +
          `${handler.minVersion}-${handler.maxVersion}, correlation ${header.correlationId})`,
      );
    }
    const flexible = handler.flexibleFrom !== undefined &&
      header.apiVersion >= handler.flexibleFrom;
    const ctx: RequestContext = {
      header,
      clientAddress: this.clientAddress,
      broker: this.state,
      sasl: this.sasl,
    };
    const fail = (err: unknown): never => {
      if (err instanceof ProtocolError) throw new ProtocolError(`${label}: ${err.message}`);
      if (err instanceof KafkaError) {
        throw new ProtocolError(`${label}: unhandled ${err.message}`);
      }
      throw new Error(`${label}: ${errorText(err)}`, { cause: err });
    };
    const flexibleHeader = flexible && header.apiKey !== API_VERSIONS_KEY;
    const encode = (body: Uint8Array | StreamedBody | null): Frame | null => {
      if (body === null) return null;
      if (!isStreamed(body)) return encodeResponseFrame(header.correlationId, body, flexibleHeader);
      const w = new Writer(16).int32((flexibleHeader ? 5 : 4) + body.size).int32(
        header.correlationId,
      );
      if (flexibleHeader) w.int8(0); // empty tagged fields
      return { head: w.finish(), body };
    };
    let result: ReturnType<typeof handler.handle>;
    try {
      if (flexible) r.taggedFields();
      result = handler.handle(r, ctx);
    } catch (err) {
      return fail(err);
    }
    if (handler.frameReusable) this.state.buffers.release(frame);
    if (handler.pipelined && result instanceof Promise) {
      return { later: result.then(encode, fail) };
    }
    try {
      return encode(await result);
    } catch (err) {
      return fail(err);
    }
  }

  /** Queues a response (or one still being computed) behind the ones before it. */
  private enqueueWrite(frame: Frame | Promise<Frame | null>): void {
    this.pendingWrites++;
    // Settled here so a failure cannot be an unhandled rejection while it waits its turn.
    const ready = Promise.resolve(frame).then(
      (f) => ({ f, err: undefined }),
      (err: unknown) => ({ f: null, err }),
    );
    this.writeChain = this.writeChain.then(async () => {
      let f: Frame | null = null;
      try {
        const r = await ready;
        f = r.f;
        if (r.err !== undefined) {
          if (!this.closed) {
            this.logger.warn(
              `closing connection from ${this.clientAddress}: ${errorText(r.err)}`,
            );
          }
          this.close();
          return;
        }
        if (!this.closed && f !== null) {
          if (f instanceof Uint8Array) {
            await writeAll(this.conn, f);
            this.state.buffers.release(f); // a pooled response frame: sent, so reusable
          } else await this.writeStreamed(f);
          this.lastActivity = Date.now();
        }
      } catch (err) {
        if (!this.closed && !isDisconnect(err)) {
          this.logger.warn(`write to ${this.clientAddress} failed: ${errorText(err)}`);
        }
        this.close();
      } finally {
        // Not written (closed, failed): the segment files it pinned are let go all the same.
        if (f !== null && !(f instanceof Uint8Array)) releaseBody(f.body);
        this.pendingWrites--;
      }
    });
  }

  /**
   * Writes a streamed response through a chunk buffer taken from the fetch budget, or, when
   * writers whose clients do not read hold it all, through a small one: a response never
   * waits for another client, and memory stays within the budget plus a small buffer per
   * connection.
   */
  private async writeStreamed(f: StreamedFrame): Promise<void> {
    const budget = this.state.fetchBudget;
    const want = Math.min(STREAM_CHUNK_BYTES, f.head.length + f.body.size);
    const charged = budget.tryTake(want);
    const size = charged ? want : Math.min(want, SMALL_CHUNK_BYTES);
    const buf = this.state.buffers.acquire(size);
    try {
      // Each piece the client takes counts as activity: a slow reader is not idle.
      const sink = {
        write: async (p: Uint8Array) => {
          const n = await this.conn.write(p);
          this.lastActivity = Date.now();
          return n;
        },
      };
      await writeStreamed(sink, f.head, f.body, buf, this.state.stats);
    } finally {
      this.state.buffers.release(buf);
      if (charged) budget.release(size);
    }
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

function isDisconnect(err: unknown): boolean {
  return err instanceof Deno.errors.ConnectionReset ||
    err instanceof Deno.errors.BrokenPipe ||
    err instanceof Deno.errors.BadResource ||
    err instanceof Deno.errors.Interrupted ||
    err instanceof Deno.errors.ConnectionAborted ||
    err instanceof Deno.errors.NotConnected;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
