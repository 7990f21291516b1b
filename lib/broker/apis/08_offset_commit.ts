/**
 * OffsetCommit (key 8), v2–5: stores a group's consumed positions durably.
 *
 * Membership is validated as Kafka does (a commit with generation -1 and no member id is
 * accepted for an Empty group: admin tools and manually assigned consumers). Partitions of
 * unknown topics get UNKNOWN_TOPIC_OR_PARTITION. `retention_time_ms` (v2–4) is ignored:
 * offsets never expire.
 *
 * @module
 */
import { Writer } from "../protocol/codec.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { OffsetEntry } from "../groups/coordinator.ts";
import type { ApiHandler } from "./_types.ts";
import { readOffsetTopics } from "./_offset_topics.ts";

/** The OffsetCommit handler. */
export const handler: ApiHandler = {
  key: 8,
  name: "OffsetCommit",
  minVersion: 2,
  maxVersion: 5,
  async handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const groupId = body.string();
    const generationId = body.int32();
    const memberId = body.string();
    if (v <= 4) body.int64(); // retention_time_ms
    const topics = readOffsetTopics(body);
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
    const results = await groups.commitOffsets(groupId, generationId, memberId, valid);
    valid.forEach((e, i) => codes.set(e, results[i]));
    const w = new Writer(64);
    if (v >= 3) w.int32(0); // throttle_time_ms
    w.array(topics, (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, e) => void w.int32(e.partition).int16(codes.get(e)!));
    });
    return w.finish();
  },
};
