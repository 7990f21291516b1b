/**
 * AddOffsetsToTxn (key 25), v0–1: lets the open transaction commit offsets of a group
 * (followed by TxnOffsetCommit).
 *
 * @module
 */
import { Writer } from "../protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";

/** The AddOffsetsToTxn handler. */
export const handler: ApiHandler = {
  key: 25,
  name: "AddOffsetsToTxn",
  minVersion: 0,
  maxVersion: 1,
  async handle(body, ctx) {
    const transactionalId = body.string();
    const producerId = body.int64();
    const epoch = body.int16();
    const groupId = body.string();
    const error = await ctx.broker.txns.addOffsets(transactionalId, producerId, epoch, groupId);
    return new Writer(8).int32(0).int16(error).finish();
  },
};
