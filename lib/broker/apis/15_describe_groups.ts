/**
 * DescribeGroups (key 15), v0–2: state, protocol and members of groups. An unknown group is
 * answered with error 0 and state "Dead", as Kafka does; member metadata and assignments are
 * only filled in once the group is Stable.
 *
 * @module
 */
import { Writer } from "../protocol/codec.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { ApiHandler } from "./_types.ts";

/** The DescribeGroups handler. */
export const handler: ApiHandler = {
  key: 15,
  name: "DescribeGroups",
  minVersion: 0,
  maxVersion: 2,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const ids = body.array((r) => r.string());
    const w = new Writer(128);
    if (v >= 1) w.int32(0); // throttle_time_ms
    w.array(ids, (w, id) => {
      if (id === "") {
        w.int16(ErrorCode.INVALID_GROUP_ID.code).string(id).string("").string("").string("");
        w.array([], () => {});
        return;
      }
      const d = ctx.broker.groups.describe(id);
      w.int16(0).string(d.groupId).string(d.state).string(d.protocolType).string(d.protocolName);
      w.array(d.members, (w, m) => {
        w.string(m.memberId).string(m.clientId).string(m.clientHost);
        w.bytes(m.metadata).bytes(m.assignment);
      });
    });
    return w.finish();
  },
};
