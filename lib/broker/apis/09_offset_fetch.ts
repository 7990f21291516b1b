/**
 * OffsetFetch (key 9), v1–7 (v6+ flexible): a group's committed offsets, with the committed
 * leader epoch from v5.
 *
 * Partitions without a commit (and unknown groups) get offset -1, empty metadata, error 0.
 * From v2 a null topic list means every partition the group has committed. Offsets staged by
 * an open transaction are not visible until it commits; with v7's `require_stable` (KIP-447)
 * a partition that has such pending offsets answers UNSTABLE_OFFSET_COMMIT and offset -1, so
 * a new owner does not start from an offset that is about to move.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { CommittedOffset } from "../groups/coordinator.ts";
import type { ApiHandler } from "./_types.ts";

/** The OffsetFetch handler. */
export const handler: ApiHandler = {
  key: 9,
  name: "OffsetFetch",
  minVersion: 1,
  maxVersion: 7,
  flexibleFrom: 6,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    body.flexible = v >= 6;
    const groupId = body.fString();
    const item = (r: typeof body) => {
      const t = { name: r.fString(), partitions: r.fArray((r) => r.int32()) };
      r.fTags();
      return t;
    };
    const topics = v >= 2 ? body.fNullableArray(item) : body.fArray(item);
    const requireStable = v >= 7 ? body.bool() : false;
    body.fTags();
    const error = groupId === "" ? ErrorCode.INVALID_GROUP_ID.code : 0;
    let offsets: CommittedOffset[] = [];
    if (error === 0) {
      offsets = ctx.broker.groups.fetchOffsets(
        groupId,
        topics?.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition }))) ??
          null,
        requireStable,
      );
    }
    // Group by topic, keeping first-seen order.
    const byTopic = new Map<string, CommittedOffset[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (!list) byTopic.set(o.topic, list = []);
      list.push(o);
    }
    const w = new Writer(64, v >= 6);
    if (v >= 3) w.int32(0); // throttle_time_ms
    w.fArray([...byTopic], (w, [name, parts]) => {
      w.fString(name);
      w.fArray(parts, (w, p) => {
        w.int32(p.partition).int64(p.unstable ? -1 : p.offset);
        if (v >= 5) w.int32(p.unstable ? -1 : p.leaderEpoch);
        w.fNullableString(p.unstable ? "" : p.metadata)
          .int16(p.unstable ? ErrorCode.UNSTABLE_OFFSET_COMMIT.code : 0).fTags();
      });
      w.fTags();
    });
    if (v >= 2) w.int16(error);
    w.fTags();
    return w.finish();
  },
};
