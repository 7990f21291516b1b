/**
 * SyncGroup (key 14), v0–3: the leader hands out assignments; followers wait for them. v3
 * carries the `group_instance_id` (KIP-345): a fenced incarnation of a static member gets
 * FENCED_INSTANCE_ID.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";

/** The SyncGroup handler. */
export const handler: ApiHandler = {
  key: 14,
  name: "SyncGroup",
  minVersion: 0,
  maxVersion: 3,
  async handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const groupId = body.string();
    const generationId = body.int32();
    const memberId = body.string();
    const groupInstanceId = v >= 3 ? body.nullableString() : null;
    const assignments = body.array((r) => ({
      memberId: r.string(),
      assignment: r.bytes().slice(),
    }));
    const res = await ctx.broker.groups.sync(
      groupId,
      generationId,
      memberId,
      assignments,
      ctx.broker.closing,
      groupInstanceId,
    );
    const w = new Writer(32 + res.assignment.length);
    if (v >= 1) w.int32(0); // throttle_time_ms
    return w.int16(res.errorCode).bytes(res.assignment).finish();
  },
};
