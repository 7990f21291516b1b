/**
 * DeleteTopics (key 20) v1.
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const DELETE_TOPICS = { key: 20, version: 1 } as const;

/** Request body. */
export function encodeDeleteTopicsRequest(
  w: Writer,
  names: readonly string[],
  timeoutMs: number,
): void {
  w.array(names, (w, n) => void w.string(n)).int32(timeoutMs);
}

/** Response body: `[name, errorCode]` per topic. */
export function decodeDeleteTopicsResponse(r: Reader): [string, number][] {
  r.int32(); // throttle_time_ms
  return r.array((r) => [r.string(), r.int16()] as [string, number]);
}
