/**
 * OffsetCommit (key 8), v2–8 (v8 flexible): stores a group's consumed positions durably, with
 * the committed leader epoch from v6.
 *
 * Membership is validated as Kafka does (a commit with generation -1 is accepted for an Empty
 * group: admin tools and manually assigned consumers). Partitions of
 * unknown topics get UNKNOWN_TOPIC_OR_PARTITION. `retention_time_ms` (v2–4) is ignored:
 * offsets never expire. `group_instance_id` (v7+) is checked (KIP-345): a fenced incarnation
 * of a static member gets FENCED_INSTANCE_ID.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { OffsetEntry } from "../groups/coordinator.ts";
import type { ApiHandler } from "./_types.ts";
import { readOffsetTopics } from "./_offset_topics.ts";

/** The OffsetCommit handler. */
export const handler: ApiHandler = {
  key: 8,
  name: "OffsetCommit",
  minVersion: 2,
  maxVersion: 8,
  flexibleFrom: 8,
  async handle(body, ctx) {
    const v = ctx.header.apiVersion;
    body.flexible = v >= 8;
    const groupId = body.fString();
    const generationId = body.int32();
    const memberId = body.fString();
    const groupInstanceId = v >= 7 ? body.fNullableString() : null;
    if (v <= 4) body.int64(); // retention_time_ms
    const topics = readOffsetTopics(body, v >= 6);
    body.fTags();
    const { logs, groups } = ctx.broker;
    const codes = new Map<OffsetEntry, number>();
    const valid: OffsetEntry[] = [];
    for (const t of topics) {
      const info = logs.getTopic(t.name);
      for (const e of t.partitions) {
        if (info && e.partition >= 0 && e.partition < info.partitions) valid.push(e);
        else codes.set(e, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code);
      }
    }
    const results = await groups.commitOffsets(
      groupId,
      generationId,
      memberId,
      valid,
      groupInstanceId,
    );
    valid.forEach((e, i) => codes.set(e, results[i]));
    const w = new Writer(64, v >= 8);
    if (v >= 3) w.int32(0); // throttle_time_ms
    w.fArray(topics, (w, t) => {
      w.fString(t.name);
      w.fArray(t.partitions, (w, e) => void w.int32(e.partition).int16(codes.get(e)!).fTags());
      w.fTags();
    });
    w.fTags();
    return w.finish();
  },
};
