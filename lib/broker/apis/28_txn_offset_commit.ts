/**
 * TxnOffsetCommit (key 28), v0–3 (v3 flexible): stages group offsets inside a transaction;
 * they become visible to OffsetFetch only when EndTxn commits. v2 adds the committed leader
 * epoch; v3 (KIP-447) the consumer's generation, member id and `group_instance_id`, checked
 * against the group so that a consumer that lost its partitions in a rebalance, or a fenced
 * incarnation of a static member (FENCED_INSTANCE_ID), cannot commit their offsets.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";
import { readOffsetTopics } from "./_offset_topics.ts";

/** The TxnOffsetCommit handler. */
export const handler: ApiHandler = {
  key: 28,
  name: "TxnOffsetCommit",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 3,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    body.flexible = v >= 3;
    const transactionalId = body.fString();
    const groupId = body.fString();
    const producerId = body.int64();
    const epoch = body.int16();
    let member:
      | { generationId: number; memberId: string; groupInstanceId: string | null }
      | undefined;
    if (v >= 3) {
      member = {
        generationId: body.int32(),
        memberId: body.fString(),
        groupInstanceId: body.fNullableString(),
      };
    }
    const topics = readOffsetTopics(body, v >= 2);
    body.fTags();
    const entries = topics.flatMap((t) => t.partitions);
    const codes = ctx.broker.txns.txnOffsetCommit(
      transactionalId,
      groupId,
      producerId,
      epoch,
      entries,
      member,
    );
    let i = 0;
    const w = new Writer(64, v >= 3);
    w.int32(0); // throttle_time_ms
    w.fArray(topics, (w, t) => {
      w.fString(t.name);
      w.fArray(t.partitions, (w, e) => void w.int32(e.partition).int16(codes[i++]).fTags());
      w.fTags();
    });
    w.fTags();
    return w.finish();
  },
};
