/**
 * SaslHandshake (key 17), v0–1: picks the SASL mechanism and lists the enabled ones. Served
 * only when the broker has users (`--users`). After v0 the next frames are bare SASL tokens
 * (the connection hands them to the session); after v1 they come in SaslAuthenticate. A
 * refused mechanism or a second handshake is answered, then the connection is closed.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ProtocolError } from "../../kafka/protocol/errors.ts";
import { SASL_MECHANISMS } from "../sasl/session.ts";
import type { ApiHandler } from "./_types.ts";

/** The SaslHandshake handler. */
export const handler: ApiHandler = {
  key: 17,
  name: "SaslHandshake",
  minVersion: 0,
  maxVersion: 1,
  handle(body, ctx) {
    if (!ctx.sasl) throw new ProtocolError("SASL is not enabled on this broker");
    const mechanism = body.string();
    const error = ctx.sasl.handshake(mechanism, ctx.header.apiVersion);
    return new Writer(64)
      .int16(error)
      .array(SASL_MECHANISMS, (w, m) => void w.string(m))
      .finish();
  },
};
