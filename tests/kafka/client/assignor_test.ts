import assert from "node:assert/strict";
import { roundRobin } from "../../../lib/kafka/client/_assignor.ts";

Deno.test("roundRobin: sorted members take partitions in turn, across topics; idle members get none", () => {
  const a = roundRobin(
    [{ memberId: "b", topics: ["x", "y"] }, { memberId: "a", topics: ["x", "y"] }, {
      memberId: "c",
      topics: ["x", "y"],
    }],
    new Map([["x", [1, 0]], ["y", [0, 1]]]),
  );
  assert.deepEqual(a.get("a"), new Map([["x", [0]], ["y", [1]]]));
  assert.deepEqual(a.get("b"), new Map([["x", [1]]]));
  assert.deepEqual(a.get("c"), new Map([["y", [0]]]));
  const idle = roundRobin(
    [{ memberId: "a", topics: ["x"] }, { memberId: "b", topics: ["x"] }],
    new Map([["x", [0]]]),
  );
  assert.deepEqual(idle.get("b"), new Map());
});
