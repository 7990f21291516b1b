import assert from "node:assert/strict";
import { assertResponse, withBroker } from "./_golden.ts";
import { carr, cnstr, TAGS } from "./_flex.ts";
import { arr, bool, cstr, i16, i32, i8, request, str } from "./_wire.ts";
import { createTopic, storedConfigs } from "./_configs.ts";

type Op = [string, number, string | null];
const SET = 0, DELETE = 1, APPEND = 2, SUBTRACT = 3;

function body(v: number, resources: [number, string, Op[]][], validateOnly = false) {
  const flex = v >= 1;
  const s = flex ? cstr : str;
  const ns = flex ? cnstr : str;
  const a = flex ? carr : arr;
  return [
    ...a(resources.map(([t, n, ops]) => [
      ...i8(t),
      ...s(n),
      ...a(ops.map(([k, op, val]) => [...s(k), ...i8(op), ...ns(val)])),
    ])),
    ...bool(validateOnly),
    ...(flex ? TAGS : []),
  ];
}

function response(v: number, results: [number, string | null, number, string][]) {
  const flex = v >= 1;
  const s = flex ? cstr : str;
  const ns = flex ? cnstr : str;
  const a = flex ? carr : arr;
  return [
    ...i32(0),
    ...a(results.map(([e, m, t, n]) => [...i16(e), ...ns(m), ...i8(t), ...s(n)])),
    ...(flex ? TAGS : []),
  ];
}

Deno.test("IncrementalAlterConfigs v0-v1: SET, DELETE, APPEND, SUBTRACT and Kafka's errors", async () => {
  await withBroker(async (c, b) => {
    for (let v = 0; v <= 1; v++) {
      const t = `iac${v}`;
      const flexible = v >= 1;
      const hdr = flexible ? TAGS : [];
      await createTopic(c, t, [["retention.ms", "1000"], ["segment.ms", "9000"]]);
      const call = (corr: number, ops: Op[], validateOnly = false) =>
        c.roundTrip(request(44, v, corr, body(v, [[2, t, ops]], validateOnly), { flexible }));

      // SET and DELETE change only the named keys.
      let res = await call(1, [["retention.ms", SET, "2000"], ["segment.ms", DELETE, null]]);
      assertResponse(res, 1, response(v, [[0, null, 2, t]]), hdr);
      assert.deepEqual(await storedConfigs(b.dataDir, t), { "retention.ms": "2000" });

      // APPEND to a list config starts from its default ("delete"), without duplicates.
      res = await call(2, [["cleanup.policy", APPEND, "compact,delete"]]);
      assertResponse(res, 2, response(v, [[0, null, 2, t]]), hdr);
      assert.equal((await storedConfigs(b.dataDir, t))["cleanup.policy"], "delete,compact");
      res = await call(3, [["cleanup.policy", SUBTRACT, "delete"]]);
      assertResponse(res, 3, response(v, [[0, null, 2, t]]), hdr);
      assert.equal((await storedConfigs(b.dataDir, t))["cleanup.policy"], "compact");

      // Errors: nothing of the resource is stored.
      const before = await storedConfigs(b.dataDir, t);
      res = await call(4, [["cleanup.policy", SUBTRACT, "compact"]]);
      assertResponse(
        res,
        4,
        response(v, [[40, `topic ${t}: invalid value "" for cleanup.policy`, 2, t]]),
        hdr,
      );
      res = await call(5, [["retention.ms", APPEND, "5"]]);
      assertResponse(
        res,
        5,
        response(v, [[
          40,
          "config value append is not allowed for config key: retention.ms",
          2,
          t,
        ]]),
        hdr,
      );
      res = await call(6, [["retention.ms", SET, "3"], ["bogus", DELETE, null]]);
      assertResponse(res, 6, response(v, [[40, 'unknown topic config "bogus"', 2, t]]), hdr);
      res = await call(7, [["segment.ms", SET, "0"]]);
      assertResponse(
        res,
        7,
        response(v, [[40, `topic ${t}: invalid value "0" for segment.ms`, 2, t]]),
        hdr,
      );
      res = await call(8, [["retention.ms", SET, null]]);
      assertResponse(
        res,
        8,
        response(v, [[42, "null value not supported for: retention.ms", 2, t]]),
        hdr,
      );
      res = await call(9, [["retention.ms", SET, "1"], ["retention.ms", DELETE, null]]);
      assertResponse(
        res,
        9,
        response(v, [[42, "duplicate config keys: retention.ms", 2, t]]),
        hdr,
      );
      res = await call(10, [["retention.ms", 7, "1"]]);
      assertResponse(
        res,
        10,
        response(v, [[42, "unknown config operation 7 for retention.ms", 2, t]]),
        hdr,
      );
      res = await call(11, [["retention.ms", SET, "1"]], true);
      assertResponse(res, 11, response(v, [[0, null, 2, t]]), hdr);
      assert.deepEqual(await storedConfigs(b.dataDir, t), before);
    }
  });
});
