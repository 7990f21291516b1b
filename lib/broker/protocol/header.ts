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
import type { RequestHeader } from "../apis/_types.ts";

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

/**
 * Builds a whole response frame, `[size][correlation_id][tags?][body]`, in one buffer so it
 * goes out with one socket write.
 */
export function encodeResponseFrame(
  correlationId: number,
  body: Uint8Array,
  flexibleHeader: boolean,
): Uint8Array {
  const headerLen = flexibleHeader ? 5 : 4;
  const out = new Uint8Array(4 + headerLen + body.length);
  const view = new DataView(out.buffer);
  view.setInt32(0, headerLen + body.length);
  view.setInt32(4, correlationId);
  // A flexible header ends with an empty tagged-field section: the single byte 0x00.
  out.set(body, 4 + headerLen);
  return out;
}
