/**
 * Heartbeat (key 12), v0–3: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it
 * to rejoin. v3 carries the `group_instance_id` (KIP-345): a fenced incarnation of a static
 * member gets FENCED_INSTANCE_ID.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";

/** The Heartbeat handler. */
export const handler: ApiHandler = {
  key: 12,
  name: "Heartbeat",
  minVersion: 0,
  maxVersion: 3,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const groupId = body.string();
    const generationId = body.int32();
    const memberId = body.string();
    const groupInstanceId = v >= 3 ? body.nullableString() : null;
    const error = ctx.broker.groups.heartbeat(groupId, generationId, memberId, groupInstanceId);
    const w = new Writer(8);
    if (v >= 1) w.int32(0); // throttle_time_ms
    return w.int16(error).finish();
  },
};
