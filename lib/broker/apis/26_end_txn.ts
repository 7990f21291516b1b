/**
 * EndTxn (key 26), v0–1: commits or aborts the open transaction: control markers go to
 * every partition it wrote to, and its staged group offsets are applied or dropped.
 *
 * @module
 */
import type { ApiHandler } from "./_types.ts";
import { errorOnlyResponse, readTxnProducer } from "./_txn.ts";

/** The EndTxn handler. */
export const handler: ApiHandler = {
  key: 26,
  name: "EndTxn",
  minVersion: 0,
  maxVersion: 1,
  async handle(body, ctx) {
    const { transactionalId, producerId, epoch } = readTxnProducer(body);
    const committed = body.bool();
    const error = await ctx.broker.txns.endTxn(transactionalId, producerId, epoch, committed);
    return errorOnlyResponse(error);
  },
};
