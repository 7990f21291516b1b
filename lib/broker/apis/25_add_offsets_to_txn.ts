/**
 * AddOffsetsToTxn (key 25), v0–1: lets the open transaction commit offsets of a group
 * (followed by TxnOffsetCommit).
 *
 * @module
 */
import type { ApiHandler } from "./_types.ts";
import { errorOnlyResponse, readTxnProducer } from "./_txn.ts";

/** The AddOffsetsToTxn handler. */
export const handler: ApiHandler = {
  key: 25,
  name: "AddOffsetsToTxn",
  minVersion: 0,
  maxVersion: 1,
  async handle(body, ctx) {
    const { transactionalId, producerId, epoch } = readTxnProducer(body);
    const groupId = body.string();
    const error = await ctx.broker.txns.addOffsets(transactionalId, producerId, epoch, groupId);
    return errorOnlyResponse(error);
  },
};
