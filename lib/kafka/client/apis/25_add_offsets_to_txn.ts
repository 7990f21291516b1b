/**
 * AddOffsetsToTxn (key 25) v1: tells the transaction coordinator the transaction will commit
 * offsets of `groupId` (the offsets themselves go to the group coordinator: TxnOffsetCommit).
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const ADD_OFFSETS_TO_TXN = { key: 25, version: 1 } as const;

/** Request body. */
export function encodeAddOffsetsToTxnRequest(
  w: Writer,
  transactionalId: string,
  producerId: number,
  producerEpoch: number,
  groupId: string,
): void {
  w.string(transactionalId).int64(producerId).int16(producerEpoch).string(groupId);
}

/** Response body: the error code. */
export function decodeAddOffsetsToTxnResponse(r: Reader): number {
  r.int32(); // throttle_time_ms
  return r.int16();
}
