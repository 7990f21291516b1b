/**
 * AlterConfigs (key 33), v0–2 (v2 flexible): replaces a topic's whole explicit config set
 * with the one sent; keys left out go back to their defaults. Kafka's validation: unknown
 * keys and bad values get INVALID_CONFIG naming the key, a null value or a key given twice
 * INVALID_REQUEST; `validate_only` checks without changing anything.
 *
 * @module
 */
import { ErrorCode, KafkaError } from "../../kafka/protocol/errors.ts";
import { checkDuplicateKeys, handleAlter } from "./_alter_configs.ts";
import type { ApiHandler } from "./_types.ts";

/** The AlterConfigs handler. */
export const handler: ApiHandler = {
  key: 33,
  name: "AlterConfigs",
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  handle(body, ctx) {
    return handleAlter(
      body,
      ctx,
      ctx.header.apiVersion >= 2,
      (r) => ({ name: r.fString(), value: r.fNullableString() }),
      (configs) => {
        checkDuplicateKeys(configs.map((c) => c.name));
        const nulls = configs.filter((c) => c.value === null).map((c) => c.name);
        if (nulls.length > 0) {
          throw new KafkaError(
            ErrorCode.INVALID_REQUEST,
            `null value not supported for: ${nulls.join(", ")}`,
          );
        }
        return Object.fromEntries(configs.map((c) => [c.name, c.value!]));
      },
    );
  },
};
