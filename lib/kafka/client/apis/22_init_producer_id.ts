/**
 * InitProducerId (key 22) v1: a producer id and epoch, for an idempotent producer (no
 * transactional id) or a transactional one (which fences older instances with the same id).
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const INIT_PRODUCER_ID = { key: 22, version: 1 } as const;

/** A decoded InitProducerId response. */
export interface InitProducerIdResponse {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

/** Request body. */
export function encodeInitProducerIdRequest(
  w: Writer,
  transactionalId: string | null,
  transactionTimeoutMs: number,
): void {
  w.nullableString(transactionalId).int32(transactionTimeoutMs);
}

/** Response body. */
export function decodeInitProducerIdResponse(r: Reader): InitProducerIdResponse {
  r.int32(); // throttle_time_ms
  return { errorCode: r.int16(), producerId: r.int64(), producerEpoch: r.int16() };
}
