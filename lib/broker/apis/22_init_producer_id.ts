/**
 * InitProducerId (key 22), v0–1: a fresh producer id for idempotent producers (null
 * transactional id); for transactional ids, the same id with a bumped epoch, which fences
 * the previous producer and aborts its open transaction.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";

/** The InitProducerId handler. */
export const handler: ApiHandler = {
  key: 22,
  name: "InitProducerId",
  minVersion: 0,
  maxVersion: 1,
  async handle(body, ctx) {
    const transactionalId = body.nullableString();
    const timeoutMs = body.int32();
    const res = await ctx.broker.txns.initProducerId(transactionalId, timeoutMs);
    const w = new Writer(20);
    w.int32(0); // throttle_time_ms
    return w.int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch).finish();
  },
};
