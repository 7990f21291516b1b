/**
 * FindCoordinator (key 10), v0–2: this single node coordinates every group (key_type 0) and
 * every transactional id (key_type 1).
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { ApiHandler } from "./_types.ts";

/** The FindCoordinator handler. */
export const handler: ApiHandler = {
  key: 10,
  name: "FindCoordinator",
  minVersion: 0,
  maxVersion: 2,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    body.string(); // key: the group id or transactional id
    const keyType = v >= 1 ? body.int8() : 0;
    const { config } = ctx.broker;
    const w = new Writer(48);
    if (v >= 1) w.int32(0); // throttle_time_ms
    if (keyType !== 0 && keyType !== 1) {
      w.int16(ErrorCode.INVALID_REQUEST.code);
      w.nullableString(`unknown key_type ${keyType} (expected 0 group or 1 transaction)`);
      w.int32(-1).string("").int32(-1);
      return w.finish();
    }
    w.int16(0);
    if (v >= 1) w.nullableString(null);
    w.int32(config.nodeId).string(config.advertisedHost).int32(config.port);
    return w.finish();
  },
};
