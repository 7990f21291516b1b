/**
 * ListGroups (key 16), v0–2: every group this coordinator knows, with its protocol type.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";

/** The ListGroups handler. */
export const handler: ApiHandler = {
  key: 16,
  name: "ListGroups",
  minVersion: 0,
  maxVersion: 2,
  handle(_body, ctx) {
    const v = ctx.header.apiVersion;
    const groups = ctx.broker.groups.list();
    const w = new Writer(32 + groups.length * 32);
    if (v >= 1) w.int32(0); // throttle_time_ms
    w.int16(0);
    w.array(groups, (w, g) => void w.string(g.groupId).string(g.protocolType));
    return w.finish();
  },
};
