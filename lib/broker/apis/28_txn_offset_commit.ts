/**
 * TxnOffsetCommit (key 28), v0–1: stages group offsets inside a transaction; they become
 * visible to OffsetFetch only when EndTxn commits.
 *
 * @module
 */
import { Writer } from "../protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";
import { readOffsetTopics } from "./_offset_topics.ts";

/** The TxnOffsetCommit handler. */
export const handler: ApiHandler = {
  key: 28,
  name: "TxnOffsetCommit",
  minVersion: 0,
  maxVersion: 1,
  handle(body, ctx) {
    const transactionalId = body.string();
    const groupId = body.string();
    const producerId = body.int64();
    const epoch = body.int16();
    const topics = readOffsetTopics(body);
    const entries = topics.flatMap((t) => t.partitions);
    const codes = ctx.broker.txns.txnOffsetCommit(
      transactionalId,
      groupId,
      producerId,
      epoch,
      entries,
    );
    let i = 0;
    const w = new Writer(64);
    w.int32(0); // throttle_time_ms
    w.array(topics, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, e) => void w.int32(e.partition).int16(codes[i++]));
    });
    return w.finish();
  },
};
