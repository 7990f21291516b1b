/**
 * LeaveGroup (key 13), v0–3: members leave and the group rebalances.
 *
 * v0–2 name one member and answer with its error; v3 takes a batch of members and answers
 * per member with a top-level error of NONE, as Kafka does. A v3 member with a
 * `group_instance_id` is checked against it (KIP-345): an unknown instance gets
 * UNKNOWN_MEMBER_ID, an older incarnation FENCED_INSTANCE_ID, and an empty member id removes
 * the instance's current member (how admin tools remove a static member).
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";

/** The LeaveGroup handler. */
export const handler: ApiHandler = {
  key: 13,
  name: "LeaveGroup",
  minVersion: 0,
  maxVersion: 3,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const groupId = body.string();
    const members = v >= 3
      ? body.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }))
      : [{ memberId: body.string(), groupInstanceId: null }];
    const errors = ctx.broker.groups.leave(groupId, members);
    const w = new Writer(32);
    if (v >= 1) w.int32(0); // throttle_time_ms
    if (v < 3) return w.int16(errors[0]).finish();
    w.int16(0);
    let i = 0;
    w.array(members, (w, m) => {
      w.string(m.memberId).nullableString(m.groupInstanceId).int16(errors[i++]);
    });
    return w.finish();
  },
};
