/**
 * Wire pieces the transaction APIs share: the producer fields AddPartitionsToTxn,
 * AddOffsetsToTxn and EndTxn (v0–1) open with, and the throttle + error code response
 * AddOffsetsToTxn and EndTxn answer with.
 *
 * @module
 */
import { type Reader, Writer } from "../../kafka/protocol/codec.ts";

/** Who is asking, as the transaction requests start: transactional_id, producer_id, epoch. */
export interface TxnProducer {
  transactionalId: string;
  producerId: number;
  epoch: number;
}

/** Reads `transactional_id string, producer_id int64, producer_epoch int16`. */
export function readTxnProducer(body: Reader): TxnProducer {
  const transactionalId = body.string();
  const producerId = body.int64();
  const epoch = body.int16();
  return { transactionalId, producerId, epoch };
}

/** A response of `throttle_time_ms int32` (always 0) and one `error_code int16`. */
export function errorOnlyResponse(errorCode: number): Uint8Array {
  return new Writer(8).int32(0).int16(errorCode).finish();
}
