/**
 * ApiVersions (key 18), v0–3. Advertises exactly the handlers in the registry.
 *
 * v3 has a flexible body (client software name/version, compact arrays, tags), but its
 * response header stays v0 (KIP-511; the connection layer handles that). Versions above 3
 * get the v0-layout UNSUPPORTED_VERSION fallback from the connection layer.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { ApiHandler } from "./_types.ts";

// Kafka's check for the v3 client software fields (ApiVersionsRequest.isValid).
const SOFTWARE_FIELD = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/** The ApiVersions handler. */
export const handler: ApiHandler = {
  key: 18,
  name: "ApiVersions",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: 3,
  handle(body, ctx) {
    const v = ctx.header.apiVersion;
    let error = ErrorCode.NONE.code;
    if (v >= 3) {
      const name = body.compactString();
      const version = body.compactString();
      body.taggedFields();
      if (!SOFTWARE_FIELD.test(name) || !SOFTWARE_FIELD.test(version)) {
        error = ErrorCode.INVALID_REQUEST.code;
        ctx.broker.logger.warn(
          `${ctx.clientAddress}: ApiVersions v3 with invalid client software ` +
            `name/version ${JSON.stringify(name)}/${JSON.stringify(version)}`,
        );
      }
    }
    // Like Kafka, a rejected request gets no API list; the client retries with v0.
    const apis = error === ErrorCode.NONE.code
      ? [...ctx.broker.handlers.values()].sort((a, b) => a.key - b.key)
      : [];
    const w = new Writer(16 + apis.length * 7);
    w.int16(error);
    if (v >= 3) {
      w.compactArray(apis, (w, h) => {
        w.int16(h.key).int16(h.minVersion).int16(h.maxVersion).taggedFields();
      });
      w.int32(0); // throttle_time_ms
      w.taggedFields();
    } else {
      w.array(apis, (w, h) => void w.int16(h.key).int16(h.minVersion).int16(h.maxVersion));
      if (v >= 1) w.int32(0); // throttle_time_ms
    }
    return w.finish();
  },
};
