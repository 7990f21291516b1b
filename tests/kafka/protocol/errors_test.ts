import assert from "node:assert/strict";
import { ErrorCode } from "../../../lib/kafka/protocol/errors.ts";
import { errorInfo } from "../../../lib/kafka/client/errors.ts";

Deno.test("error table: every name is its key, and no two names share a code", () => {
  const byCode = new Map<number, string>();
  for (const [key, info] of Object.entries(ErrorCode)) {
    assert.equal(info.name, key);
    assert.equal(byCode.get(info.code), undefined, `${key} and ${byCode.get(info.code)}`);
    byCode.set(info.code, key);
  }
});

Deno.test("error table: the leader-epoch codes are Kafka's (74 fenced, 75 unknown)", () => {
  // Kafka's Errors: FENCED_LEADER_EPOCH(74), UNKNOWN_LEADER_EPOCH(75), both retriable.
  assert.equal(ErrorCode.FENCED_LEADER_EPOCH.code, 74);
  assert.equal(ErrorCode.UNKNOWN_LEADER_EPOCH.code, 75);
  assert.equal(errorInfo(74).name, "FENCED_LEADER_EPOCH");
  assert.equal(errorInfo(75).name, "UNKNOWN_LEADER_EPOCH");
  assert.ok(errorInfo(74).retriable && errorInfo(75).retriable);
});
