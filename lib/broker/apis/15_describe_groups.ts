/**
 * DescribeGroups (key 15), v0–5 (v5 flexible): state, protocol and members of groups. An
 * unknown group is answered with error 0 and state "Dead", as Kafka does; member metadata and
 * assignments are only filled in once the group is Stable. v3+ carry authorized operations
 * (no ACLs here: Kafka's "not requested" value, INT32_MIN), v4+ each member's
 * `group_instance_id` (null for dynamic members).
 *
 * @module
 */
import { Writer } from "../protocol/codec.ts";
import { ErrorCode } from "../protocol/errors.ts";
import {
  readTags,
  writeArr,
  writeBytes,
  writeNullableStr,
  writeStr,
  writeTags,
} from "../protocol/flexible.ts";
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
    const flex = v >= 5;
    const ids = flex ? body.compactArray((r) => r.compactString()) : body.array((r) => r.string());
    if (v >= 3) body.bool(); // include_authorized_operations
    readTags(body, flex);
    const w = new Writer(128);
    if (v >= 1) w.int32(0); // throttle_time_ms
    writeArr(w, ids, flex, (w, id) => {
      const d = id === "" ? null : ctx.broker.groups.describe(id);
      w.int16(d ? 0 : ErrorCode.INVALID_GROUP_ID.code);
      writeStr(w, id, flex);
      writeStr(w, d?.state ?? "", flex);
      writeStr(w, d?.protocolType ?? "", flex);
      writeStr(w, d?.protocolName ?? "", flex);
      writeArr(w, d?.members ?? [], flex, (w, m) => {
        writeStr(w, m.memberId, flex);
        if (v >= 4) writeNullableStr(w, m.groupInstanceId, flex);
        writeStr(w, m.clientId, flex);
        writeStr(w, m.clientHost, flex);
        writeBytes(w, m.metadata, flex);
        writeBytes(w, m.assignment, flex);
      });
      if (v >= 3) w.int32(OPERATIONS_NOT_REQUESTED);
    });
    writeTags(w, flex);
    return w.finish();
  },
};
