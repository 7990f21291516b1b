import assert from "node:assert/strict";
import { assertResponse, withBroker } from "./_golden.ts";
import { carr, cnstr, TAGS } from "./_flex.ts";
import { arr, bool, cstr, i16, i32, i8, request, str } from "./_wire.ts";
import { createTopic, storedConfigs } from "./_configs.ts";

type Res = [number, string, [string, string | null][]];

function body(v: number, resources: Res[], validateOnly = false): number[] {
  if (v >= 2) {
    return [
      ...carr(resources.map(([t, n, cfgs]) => [
        ...i8(t),
        ...cstr(n),
        ...carr(cfgs.map(([k, val]) => [...cstr(k), ...cnstr(val)])),
      ])),
      ...bool(validateOnly),
      ...TAGS,
    ];
  }
  return [
    ...arr(resources.map(([t, n, cfgs]) => [
      ...i8(t),
      ...str(n),
      ...arr(cfgs.map(([k, val]) => [...str(k), ...str(val)])),
    ])),
    ...bool(validateOnly),
  ];
}

type Out = [number, string | null, number, string];

function response(v: number, results: Out[]): number[] {
  if (v >= 2) {
    return [
      ...i32(0),
      ...carr(results.map(([e, m, t, n]) => [...i16(e), ...cnstr(m), ...i8(t), ...cstr(n)])),
      ...TAGS,
    ];
  }
  return [
    ...i32(0),
    ...arr(results.map(([e, m, t, n]) => [...i16(e), ...str(m), ...i8(t), ...str(n)])),
  ];
}

Deno.test("AlterConfigs v0-v2: replaces the set, validates like Kafka, per resource", async () => {
  await withBroker(async (c, b) => {
    await createTopic(c, "ac", [["cleanup.policy", "compact"]]);
    for (let v = 0; v <= 2; v++) {
      const flexible = v >= 2;
      // The whole set is replaced: cleanup.policy goes back to its default.
      let res = await c.roundTrip(request(
        33,
        v,
        10 * v,
        body(v, [
          [2, "ac", [["retention.ms", String(1000 + v)], ["segment.ms", "5000"]]],
          [2, "missing", []],
          [4, "1", [["log.retention.hours", "1"]]],
          [3, "g", []],
        ]),
        { flexible },
      ));
      assertResponse(
        res,
        10 * v,
        response(v, [
          [0, null, 2, "ac"],
          [3, "topic missing does not exist", 2, "missing"],
          [
            42,
            "broker 1 configs are set when the broker starts (sa broker flags) " +
            "and cannot be altered while it runs",
            4,
            "1",
          ],
          [42, "resource type 3 is not supported (only 2 = topic)", 3, "g"],
        ]),
        flexible ? TAGS : [],
      );
      assert.deepEqual(await storedConfigs(b.dataDir, "ac"), {
        "retention.ms": String(1000 + v),
        "segment.ms": "5000",
      });

      // Bad key, bad value, null value, duplicate key, duplicate resource: nothing changes.
      res = await c.roundTrip(request(
        33,
        v,
        10 * v + 1,
        body(v, [
          [2, "ac", [["retention.ms", "1"], ["no.such.key", "1"]]],
          [2, "dup", []],
          [2, "dup", []],
        ]),
        { flexible },
      ));
      assertResponse(
        res,
        10 * v + 1,
        response(v, [
          [40, 'topic ac: unknown config "no.such.key"', 2, "ac"],
          [42, "resource dup (type 2) appears more than once in the request", 2, "dup"],
          [42, "resource dup (type 2) appears more than once in the request", 2, "dup"],
        ]),
        flexible ? TAGS : [],
      );
      res = await c.roundTrip(request(
        33,
        v,
        10 * v + 2,
        body(v, [
          [2, "ac", [["min.cleanable.dirty.ratio", "1.5"]]],
        ]),
        { flexible },
      ));
      assertResponse(
        res,
        10 * v + 2,
        response(v, [
          [40, 'topic ac: invalid value "1.5" for min.cleanable.dirty.ratio', 2, "ac"],
        ]),
        flexible ? TAGS : [],
      );
      res = await c.roundTrip(request(
        33,
        v,
        10 * v + 3,
        body(v, [
          [2, "ac", [["retention.ms", null], ["segment.ms", "1"], ["segment.ms", "2"]]],
        ]),
        { flexible },
      ));
      assertResponse(
        res,
        10 * v + 3,
        response(v, [
          [42, "duplicate config keys: segment.ms", 2, "ac"],
        ]),
        flexible ? TAGS : [],
      );
      res = await c.roundTrip(request(
        33,
        v,
        10 * v + 4,
        body(v, [
          [2, "ac", [["retention.ms", null]]],
        ]),
        { flexible },
      ));
      assertResponse(
        res,
        10 * v + 4,
        response(v, [
          [42, "null value not supported for: retention.ms", 2, "ac"],
        ]),
        flexible ? TAGS : [],
      );
      // validate_only: accepted, not stored.
      res = await c.roundTrip(request(
        33,
        v,
        10 * v + 5,
        body(v, [
          [2, "ac", [["retention.ms", "7"]]],
        ], true),
        { flexible },
      ));
      assertResponse(res, 10 * v + 5, response(v, [[0, null, 2, "ac"]]), flexible ? TAGS : []);
      assert.equal((await storedConfigs(b.dataDir, "ac"))["retention.ms"], String(1000 + v));
    }
  });
});
