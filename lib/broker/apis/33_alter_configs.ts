/**
 * AlterConfigs (key 33), v0–2 (v2 flexible): replaces a topic's whole explicit config set
 * with the one sent; keys left out go back to their defaults. Kafka's validation: unknown
 * keys and bad values get INVALID_CONFIG naming the key, a null value or a key given twice
 * INVALID_REQUEST; `validate_only` checks without changing anything.
 *
 * @module
 */
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import {
  alterResource,
  checkDuplicateKeys,
  duplicateResources,
  duplicateResult,
  encodeAlterResponse,
} from "./_alter_configs.ts";
import type { ApiHandler } from "./_types.ts";

/** The AlterConfigs handler. */
export const handler: ApiHandler = {
  key: 33,
  name: "AlterConfigs",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  handle(body, ctx) {
    const flex = ctx.header.apiVersion >= 2;
    body.flexible = flex;
    const resources = body.fArray((r) => {
      const type = r.int8();
      const name = r.fString();
      const configs = r.fArray((r) => {
        const config = { name: r.fString(), value: r.fNullableString() };
        r.fTags();
        return config;
      });
      r.fTags();
      return { type, name, configs };
    });
    const validateOnly = body.bool();
    body.fTags();
    const dups = duplicateResources(resources);
    const results = resources.map((res) => {
      if (dups.has(`${res.type}:${res.name}`)) return duplicateResult(res.type, res.name);
      return alterResource(ctx, res.type, res.name, validateOnly, () => {
        checkDuplicateKeys(res.configs.map((c) => c.name));
        const nulls = res.configs.filter((c) => c.value === null).map((c) => c.name);
        if (nulls.length > 0) {
          throw new KafkaError(
            ErrorCode.INVALID_REQUEST,
            `null value not supported for: ${nulls.join(", ")}`,
          );
        }
        return Object.fromEntries(res.configs.map((c) => [c.name, c.value!]));
      });
    });
    return encodeAlterResponse(results, flex);
  },
};
