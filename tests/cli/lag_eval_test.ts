import assert from "node:assert/strict";
import { evaluatePartition, type LagSample, worst } from "../../lib/cli/_lag_eval.ts";

const s = (pairs: [number, number][]): LagSample[] =>
  pairs.map(([committed, end]) => ({ committed, end }));

Deno.test("lag rules: each status from a sample history", () => {
  const cases: [LagSample[], boolean, string][] = [
    [s([[5, 10], [3, 10]]), true, "ERR"], // rewind
    [s([[12, 10]]), true, "ERR"], // past the end
    [s([[5, 10], [10, 10], [10, 12]]), true, "OK"], // caught up once
    [s([[5, 10], [5, 10]]), false, "STOP"], // nobody consuming
    [s([[-1, 4], [-1, 4]]), false, "STOP"], // never committed, nobody consuming
    [s([[5, 10], [5, 11], [5, 12]]), true, "STALL"], // member present, offset stuck
    [s([[5, 10], [6, 11], [7, 12]]), true, "WARN"], // moving but lag fixed
    [s([[5, 10], [6, 12], [7, 14]]), true, "WARN"], // moving, lag growing
    [s([[5, 10], [8, 11], [9, 11]]), true, "OK"], // lag going down
    [s([[5, 10]]), true, "OK"], // one sample: no trend
  ];
  for (const [samples, members, expected] of cases) {
    assert.equal(
      evaluatePartition(samples, members).status,
      expected,
      `${JSON.stringify(samples)} members=${members}`,
    );
  }
  assert.equal(evaluatePartition([], true).status, "ERR");
});

Deno.test("group status is the worst partition status", () => {
  assert.equal(worst([]), "OK");
  assert.equal(worst(["OK", "WARN", "OK"]), "WARN");
  assert.equal(worst(["STALL", "STOP", "WARN"]), "STOP");
  assert.equal(worst(["ERR", "STOP"]), "ERR");
});
