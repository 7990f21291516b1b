/**
 * Request and response headers (KIP-482 header versions).
 *
 * Requests use header v1 (`api_key, api_version, correlation_id, client_id`) or v2 (v1 plus a
 * tagged-field section) for flexible versions; `client_id` keeps its INT16 length in both, so
 * the header can always be read before the version is known. Responses use header v0
 * (`correlation_id`) or v1 (plus tags) for flexible versions, except ApiVersions, whose
 * response header is always v0 (KIP-511).
 *
 * @module
 */
import type { Reader } from "./codec.ts";
import type { BufferPool } from "./buffer_pool.ts";

/** The parsed request header (v1, or v2 for flexible versions). */
export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** API key of ApiVersions: its response header is always v0. */
export const API_VERSIONS_KEY = 18;

/** Reads the v1 part of a request header; the caller skips v2's tags once flexibility is known. */
export function readRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Bytes in front of a body allocated by {@link allocateResponseBody}: size, id, tag byte. */
const HEADROOM = 9;

/** Bodies allocated with room for the frame header in front, mapped to their whole buffer. */
const withHeadroom = new WeakMap<Uint8Array, Uint8Array>();

/**
 * A response body of exactly `size` bytes with room in front for the frame header, so
 * {@link encodeResponseFrame} can send it without copying (large Fetch responses). Zeroed,
 * unless it comes from `pool`: then the caller writes every byte, and the connection hands
 * the frame back to the pool once it is sent.
 */
export function allocateResponseBody(size: number, pool?: BufferPool): Uint8Array {
  const whole = pool ? pool.acquire(HEADROOM + size) : new Uint8Array(HEADROOM + size);
  const body = whole.subarray(HEADROOM);
  withHeadroom.set(body, whole);
  return body;
}

/**
 * Builds a whole response frame, `[size][correlation_id][tags?][body]`, in one buffer so it
 * goes out with one socket write. A body from {@link allocateResponseBody} is not copied.
 */
export function encodeResponseFrame(
  correlationId: number,
  body: Uint8Array,
  flexibleHeader: boolean,
): Uint8Array {
  const headerLen = flexibleHeader ? 5 : 4;
  const whole = withHeadroom.get(body);
  let out: Uint8Array;
  if (whole) {
    withHeadroom.delete(body);
    out = whole.subarray(HEADROOM - 4 - headerLen);
  } else {
    out = new Uint8Array(4 + headerLen + body.length);
    out.set(body, 4 + headerLen);
  }
  const view = new DataView(out.buffer, out.byteOffset, 4 + headerLen);
  view.setInt32(0, headerLen + body.length);
  view.setInt32(4, correlationId);
  // A flexible header ends with an empty tagged-field section: the single byte 0x00.
  if (flexibleHeader) out[8] = 0;
  return out;
}
