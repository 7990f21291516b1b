/**
 * FindCoordinator (key 10) v2: the broker coordinating a consumer group or a transactional id.
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const FIND_COORDINATOR = { key: 10, version: 2 } as const;

/** What a coordinator is looked up for (the request's key_type). */
export type CoordinatorType = "group" | "transaction";

/** A decoded FindCoordinator response. */
export interface FindCoordinatorResponse {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

/** Request body. */
export function encodeFindCoordinatorRequest(w: Writer, key: string, type: CoordinatorType): void {
  w.string(key).int8(type === "group" ? 0 : 1);
}

/** Response body. */
export function decodeFindCoordinatorResponse(r: Reader): FindCoordinatorResponse {
  r.int32(); // throttle_time_ms
  const errorCode = r.int16();
  const errorMessage = r.nullableString();
  const nodeId = r.int32();
  const host = r.string();
  const port = r.int32();
  return { errorCode, errorMessage, nodeId, host, port };
}
