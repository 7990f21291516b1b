/**
 * IncrementalAlterConfigs (key 44), v0–1 (v1 flexible): changes single topic configs.
 * Operations: 0 SET, 1 DELETE (back to the default), 2 APPEND and 3 SUBTRACT (list configs
 * only: `cleanup.policy` and the replication throttles; on others INVALID_CONFIG, as Kafka
 * does). The result is validated as a whole before anything is stored.
 *
 * @module
 */
import { ErrorCode, KafkaError } from "../../kafka/protocol/errors.ts";
import { TOPIC_CONFIGS } from "../log/configs.ts";
import { checkDuplicateKeys, handleAlter } from "./_alter_configs.ts";
import type { ApiHandler } from "./_types.ts";

const SET = 0, DELETE = 1, APPEND = 2, SUBTRACT = 3;

/** Topic configs whose value is a comma-separated list. */
const LIST_CONFIGS = new Set([
  "cleanup.policy",
  "follower.replication.throttled.replicas",
  "leader.replication.throttled.replicas",
]);

interface Op {
  name: string;
  op: number;
  value: string | null;
}

const list = (v: string) => v.split(",").map((s) => s.trim()).filter((s) => s !== "");

/** Applies `ops` in order to a copy of `current`. */
export function applyOps(current: Record<string, string>, ops: Op[]): Record<string, string> {
  checkDuplicateKeys(ops.map((o) => o.name));
  const next = { ...current };
  for (const { name, op, value } of ops) {
    if (op < SET || op > SUBTRACT) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown config operation ${op} for ${name}`);
    }
    if (op === DELETE) {
      if (!TOPIC_CONFIGS.has(name)) {
        throw new KafkaError(ErrorCode.INVALID_CONFIG, `unknown topic config "${name}"`);
      }
      delete next[name];
      continue;
    }
    if (value === null) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `null value not supported for: ${name}`);
    }
    if (op === SET) {
      next[name] = value;
      continue;
    }
    if (!LIST_CONFIGS.has(name)) {
      throw new KafkaError(
        ErrorCode.INVALID_CONFIG,
        `config value ${op === APPEND ? "append" : "subtract"} is not allowed for config ` +
          `key: ${name}`,
      );
    }
    const old = list(next[name] ?? TOPIC_CONFIGS.get(name)!.default);
    const given = list(value);
    next[name] = op === APPEND
      ? [...old, ...given.filter((v) => !old.includes(v))].join(",")
      : old.filter((v) => !given.includes(v)).join(",");
  }
  return next;
}

/** The IncrementalAlterConfigs handler. */
export const handler: ApiHandler = {
  key: 44,
  name: "IncrementalAlterConfigs",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: 1,
  handle(body, ctx) {
    return handleAlter(
      body,
      ctx,
      ctx.header.apiVersion >= 1,
      (r): Op => ({ name: r.fString(), op: r.int8(), value: r.fNullableString() }),
      (ops, current) => applyOps(current, ops),
    );
  },
};
