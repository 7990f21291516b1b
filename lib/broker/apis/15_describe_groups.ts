/**
 * DescribeGroups (key 15), v0–5 (v5 flexible): state, protocol and members of groups. An
 * unknown group is answered with error 0 and state "Dead", as Kafka does; member metadata and
 * assignments are only filled in once the group is Stable. v3+ carry authorized operations
 * (no ACLs here: Kafka's "not requested" value, INT32_MIN), v4+ each member's
 * `group_instance_id` (null for dynamic members).
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { ApiHandler } from "./_types.ts";

const OPERATIONS_NOT_REQUESTED = -2147483648;

/** The DescribeGroups handler. */
export const handler: ApiHandler = {
  key: 15,
  name: "DescribeGroups",
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: 5,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    body.flexible = v >= 5;
    const ids = body.fArray((r) => r.fString());
    if (v >= 3) body.bool(); // include_authorized_operations
    body.fTags();
    const w = new Writer(128, v >= 5);
    if (v >= 1) w.int32(0); // throttle_time_ms
    w.fArray(ids, (w, id) => {
      const d = id === "" ? null : ctx.broker.groups.describe(id);
      w.int16(d ? 0 : ErrorCode.INVALID_GROUP_ID.code);
      w.fString(id);
      w.fString(d?.state ?? "");
      w.fString(d?.protocolType ?? "");
      w.fString(d?.protocolName ?? "");
      w.fArray(d?.members ?? [], (w, m) => {
        w.fString(m.memberId);
        if (v >= 4) w.fNullableString(m.groupInstanceId);
        w.fString(m.clientId);
        w.fString(m.clientHost);
        w.fBytes(m.metadata);
        w.fBytes(m.assignment);
        w.fTags();
      });
      if (v >= 3) w.int32(OPERATIONS_NOT_REQUESTED);
      w.fTags();
    });
    w.fTags();
    return w.finish();
  },
};
