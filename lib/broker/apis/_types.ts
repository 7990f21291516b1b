/**
 * The contract between the connection layer and the per-API handlers in this folder.
 *
 * Each `NN_name.ts` file exports one {@link ApiHandler}. The connection reads the frame and
 * header, checks the version range, then calls `handle` with a {@link Reader} positioned at
 * the request body. The handler returns the response body (without the response header),
 * or `null` when Kafka sends no response (Produce with acks=0); Fetch may return a
 * `StreamedBody` whose record batches the connection reads as it writes them.
 *
 * @module
 */
import type { Reader } from "../../kafka/protocol/codec.ts";
import type { BrokerState } from "../state.ts";
import type { SaslSession } from "../sasl/session.ts";
import type { StreamedBody } from "../response_stream.ts";

export type { RequestHeader } from "../../kafka/protocol/header.ts";
import type { RequestHeader } from "../../kafka/protocol/header.ts";

/** What a handler may use: the header, who is asking, and the broker's state. */
export interface RequestContext {
  readonly header: RequestHeader;
  /** "host:port" of the client, for log lines. */
  readonly clientAddress: string;
  readonly broker: BrokerState;
  /** The connection's SASL state, when the broker has users (`--users`). */
  readonly sasl?: SaslSession;
}

/** One Kafka API, served over a contiguous version range. */
export interface ApiHandler {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible (KIP-482) version, or undefined when no served version is flexible. */
  readonly flexibleFrom?: number;
  /**
   * When true, `handle` makes all its effects before returning, and a promise it returns only
   * waits to answer (Produce waiting for a group-commit fdatasync): the connection then reads
   * and handles the next request meanwhile, and still answers in request order.
   */
  readonly pipelined?: boolean;
  /**
   * When true, nothing of the request frame is used once `handle` has returned (not even by a
   * promise it returns), so the connection may hand a pooled frame buffer back for reuse.
   */
  readonly frameReusable?: boolean;
  handle(
    body: Reader,
    ctx: RequestContext,
  ): Uint8Array | StreamedBody | null | Promise<Uint8Array | StreamedBody | null>;
}
