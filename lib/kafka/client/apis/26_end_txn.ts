/**
 * EndTxn (key 26) v1: commits or aborts the open transaction.
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const END_TXN = { key: 26, version: 1 } as const;

/** Request body. */
export function encodeEndTxnRequest(
  w: Writer,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  commit: boolean,
): void {
  w.string(transactionalId).int64(producerId).int16(producerEpoch).bool(commit);
}

/** Response body: the error code. */
export function decodeEndTxnResponse(r: Reader): number {
  r.int32(); // throttle_time_ms
  return r.int16();
}
