import { assertResponse, withBroker } from "./_golden.ts";
import { arr, bool, i16, i32, request, str } from "./_wire.ts";

interface T {
  name: string;
  partitions: number;
  rf?: number;
  assignments?: [number, number[]][];
  configs?: [string, string | null][];
}

function body(v: number, topics: T[], validateOnly = false): number[] {
  return [
    ...arr(topics.map((t) => [
      ...str(t.name),
      ...i32(t.partitions),
      ...i16(t.rf ?? 1),
      ...arr((t.assignments ?? []).map(([p, ids]) => [...i32(p), ...arr(ids.map(i32))])),
      ...arr((t.configs ?? []).map(([k, val]) => [...str(k), ...str(val)])),
    ])),
    ...i32(1000),
    ...(v >= 1 ? bool(validateOnly) : []),
  ];
}

function response(v: number, results: [string, number, string | null][]): number[] {
  return [
    ...(v >= 2 ? i32(0) : []),
    ...arr(results.map(([n, err, msg]) => [...str(n), ...i16(err), ...(v >= 1 ? str(msg) : [])])),
  ];
}

const META_ALL = [...arr(null)];

Deno.test("CreateTopics v0-v4: created, validate-only, errors with messages", async () => {
  await withBroker(async (c) => {
    for (let v = 0; v <= 4; v++) {
      const n = (s: string) => `${s}${v}`;
      const topics: T[] = [
        { name: n("ok"), partitions: 3, configs: [["cleanup.policy", "compact"]] },
        { name: n("rf"), partitions: 1, rf: 3 },
        { name: n("zero"), partitions: 0 },
        { name: "bad name", partitions: 1 },
        { name: n("cfg"), partitions: 1, configs: [["no.such.config", "1"]] },
        { name: n("asg"), partitions: -1, rf: -1, assignments: [[0, [1]], [1, [1]]] },
        { name: n("asg2"), partitions: -1, rf: -1, assignments: [[0, [2]]] },
      ];
      let res = await c.roundTrip(request(19, v, v, body(v, topics)));
      assertResponse(
        res,
        v,
        response(v, [
          [n("ok"), 0, null],
          [n("rf"), 38, "replication factor 3 is larger than the 1 available broker"],
          [n("zero"), 37, "number of partitions must be positive, got 0"],
          [
            "bad name",
            17,
            'invalid topic name "bad name": use 1-249 of [a-zA-Z0-9._-], not "." or ".."',
          ],
          [n("cfg"), 40, `INVALID_CONFIG: topic ${n("cfg")}: unknown config "no.such.config"`],
          [n("asg"), 0, null],
          [n("asg2"), 38, "partition 0 must be assigned to broker 1 only"],
        ]),
      );
      // Creating it again: TOPIC_ALREADY_EXISTS; the same name twice in one request: INVALID_REQUEST.
      const again: T[] = [{ name: n("ok"), partitions: 1 }, { name: n("dup"), partitions: 1 }, {
        name: n("dup"),
        partitions: 1,
      }];
      res = await c.roundTrip(request(19, v, 100 + v, body(v, again)));
      assertResponse(
        res,
        100 + v,
        response(v, [
          [n("ok"), 36, `TOPIC_ALREADY_EXISTS: topic ${n("ok")} already exists`],
          [n("dup"), 42, `topic ${n("dup")} appears more than once`],
          [n("dup"), 42, `topic ${n("dup")} appears more than once`],
        ]),
      );
      if (v >= 1) {
        // validate_only: success, but nothing is created (a second validate still succeeds).
        for (const corr of [200 + v, 300 + v]) {
          res = await c.roundTrip(
            request(19, v, corr, body(v, [{ name: n("vo"), partitions: 2 }], true)),
          );
          assertResponse(res, corr, response(v, [[n("vo"), 0, null]]));
        }
      }
      if (v >= 4) {
        // -1 partitions / -1 replication factor: the broker defaults.
        res = await c.roundTrip(
          request(19, v, 400, body(v, [{ name: "dflt", partitions: -1, rf: -1 }])),
        );
        assertResponse(res, 400, response(v, [["dflt", 0, null]]));
      }
    }
    // What exists now: ok0-4 (3 partitions), asg0-4 (2 partitions), dflt (default 1).
    const meta = await c.roundTrip(request(3, 1, 500, META_ALL));
    const names = new TextDecoder().decode(meta);
    for (let v = 0; v <= 4; v++) {
      if (!names.includes(`ok${v}`) || !names.includes(`asg${v}`) || names.includes(`vo${v}`)) {
        throw new Error(`unexpected topics after v${v}: ${names}`);
      }
    }
  });
});
