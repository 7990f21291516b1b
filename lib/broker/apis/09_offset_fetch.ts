/**
 * OffsetFetch (key 9), v1–4: a group's committed offsets.
 *
 * Partitions without a commit (and unknown groups) get offset -1, empty metadata, error 0.
 * From v2 a null topic list means every partition the group has committed. Offsets staged by
 * an open transaction are not visible until it commits.
 *
 * @module
 */
import { Writer } from "../protocol/codec.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { CommittedOffset } from "../groups/coordinator.ts";
import type { ApiHandler } from "./_types.ts";

/** The OffsetFetch handler. */
export const handler: ApiHandler = {
  key: 9,
  name: "OffsetFetch",
  minVersion: 1,
  maxVersion: 4,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const groupId = body.string();
    const item = (r: typeof body) => ({ name: r.string(), partitions: r.array((r) => r.int32()) });
    const topics = v >= 2 ? body.nullableArray(item) : body.array(item);
    const error = groupId === "" ? ErrorCode.INVALID_GROUP_ID.code : 0;
    let offsets: CommittedOffset[] = [];
    if (error === 0) {
      offsets = ctx.broker.groups.fetchOffsets(
        groupId,
        topics?.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition }))) ??
          null,
      );
    }
    // Group by topic, keeping first-seen order.
    const byTopic = new Map<string, CommittedOffset[]>();
    for (const o of offsets) {
      let list = byTopic.get(o.topic);
      if (!list) byTopic.set(o.topic, list = []);
      list.push(o);
    }
    const w = new Writer(64);
    if (v >= 3) w.int32(0); // throttle_time_ms
    w.array([...byTopic], (w, [name, parts]) => {
      w.string(name);
      w.array(parts, (w, p) => {
        w.int32(p.partition).int64(p.offset).nullableString(p.metadata).int16(0);
      });
    });
    if (v >= 2) w.int16(error);
    return w.finish();
  },
};
