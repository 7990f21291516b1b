/**
 * OffsetDelete (key 47), v0: deletes a group's committed offsets for partitions of topics it
 * no longer consumes. Partitions of a topic the group's members subscribe to get
 * GROUP_SUBSCRIBED_TO_TOPIC and keep their offset; unknown topics or partitions get
 * UNKNOWN_TOPIC_OR_PARTITION; group-level errors (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP for a
 * non-consumer group with members) go in the top-level error code.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { ApiHandler } from "./_types.ts";

/** The OffsetDelete handler. */
export const handler: ApiHandler = {
  key: 47,
  name: "OffsetDelete",
  minVersion: 0,
  maxVersion: 0,
  async handle(body, ctx) {
    const groupId = body.string();
    const topics = body.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => r.int32()),
    }));
    const known = (topic: string, p: number) => {
      const t = ctx.broker.logs.getTopic(topic);
      return t !== undefined && p >= 0 && p < t.partitions;
    };
    const wanted = topics.flatMap((t) =>
      t.partitions.filter((p) => known(t.name, p)).map((partition) => ({
        topic: t.name,
        partition,
      }))
    );
    const { error, codes } = await ctx.broker.groups.deleteOffsets(groupId, wanted);
    const code = new Map(wanted.map((w, i) => [`${w.topic}\u0000${w.partition}`, codes[i]]));

    const w = new Writer(64);
    w.int16(error).int32(0); // throttle_time_ms
    // Kafka sends no topics with a group-level error.
    w.array(error === 0 ? topics : [], (w, t) => {
      w.string(t.name);
      w.array(t.partitions, (w, p) => {
        w.int32(p).int16(
          code.get(`${t.name}\u0000${p}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code,
        );
      });
    });
    return w.finish();
  },
};
