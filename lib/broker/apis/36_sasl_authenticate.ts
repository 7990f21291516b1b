/**
 * SaslAuthenticate (key 36), v0–2: carries one SASL token each way after a v1 SaslHandshake.
 * A failed authentication answers SASL_AUTHENTICATION_FAILED (58) with a message naming the
 * mechanism (never the password), then the connection is closed. v1 adds
 * session_lifetime_ms (0: no re-authentication required); v2 is flexible.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode, ProtocolError } from "../../kafka/protocol/errors.ts";
import type { ApiHandler } from "./_types.ts";

/** The SaslAuthenticate handler. */
export const handler: ApiHandler = {
  key: 36,
  name: "SaslAuthenticate",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  async handle(body, ctx) {
    const sasl = ctx.sasl;
    if (!sasl) throw new ProtocolError("SASL is not enabled on this broker");
    const v = ctx.header.apiVersion;
    body.flexible = v >= 2;
    const token = body.fBytes();
    body.fTags();
    let error = ErrorCode.NONE.code;
    let message: string | null = null;
    let out: Uint8Array = new Uint8Array(0);
    if (!sasl.expectsAuthenticate) {
      sasl.fail(null, "SaslAuthenticate without a v1 SaslHandshake");
      error = ErrorCode.ILLEGAL_SASL_STATE.code;
      message = "Unexpected SaslAuthenticate: send SaslHandshake v1 first";
    } else {
      const res = await sasl.step(token);
      if (res.error !== undefined) {
        error = ErrorCode.SASL_AUTHENTICATION_FAILED.code;
        message = res.error;
      } else {
        out = res.token;
      }
    }
    const w = new Writer(32 + out.length + (message?.length ?? 0) * 3, v >= 2);
    w.int16(error).fNullableString(message).fBytes(out);
    if (v >= 1) w.int64(0n); // session_lifetime_ms: no re-authentication
    w.fTags();
    return w.finish();
  },
};
