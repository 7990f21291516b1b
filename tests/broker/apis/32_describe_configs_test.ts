import { assertResponse, withBroker } from "./_golden.ts";
import { arr, bool, i16, i32, i8, request, str } from "./_wire.ts";

function body(v: number, resources: [number, string, string[] | null][], synonyms = false) {
  return [
    ...arr(
      resources.map(([t, n, keys]) => [...i8(t), ...str(n), ...arr(keys ? keys.map(str) : null)]),
    ),
    ...(v >= 1 ? bool(synonyms) : []),
  ];
}

type Cfg = [string, string, boolean, boolean, number]; // name, value, readOnly, isDefault, source

function configs(v: number, list: Cfg[], synonyms = false): number[] {
  return arr(list.map(([n, val, ro, def, src]) => [
    ...str(n),
    ...str(val),
    ...bool(ro),
    ...(v === 0 ? bool(def) : i8(src)),
    ...bool(false),
    ...(v >= 1 ? arr(synonyms ? [[...str(n), ...str(val), ...i8(src)]] : []) : []),
  ]));
}

Deno.test("DescribeConfigs v0-v2: topic configs with defaults and sources, broker, errors", async () => {
  await withBroker(async (c) => {
    const create = [
      ...arr([[
        ...str("dc"),
        ...i32(1),
        ...i16(1),
        ...arr([]),
        ...arr([[...str("cleanup.policy"), ...str("compact")]]),
      ]]),
      ...i32(1000),
      ...bool(false),
    ];
    await c.roundTrip(request(19, 1, 1, create));
    for (let v = 0; v <= 2; v++) {
      for (const syn of v >= 1 ? [false, true] : [false]) {
        const corr = 10 * v + (syn ? 1 : 0);
        const res = await c.roundTrip(request(
          32,
          v,
          corr,
          body(v, [
            [2, "dc", ["cleanup.policy", "retention.ms"]],
            [4, "1", ["num.partitions", "auto.create.topics.enable"]],
            [2, "missing", null],
            [4, "7", null],
            [3, "g", null],
          ], syn),
        ));
        assertResponse(res, corr, [
          ...i32(0),
          ...arr([
            [
              ...i16(0),
              ...str(null),
              ...i8(2),
              ...str("dc"),
              ...configs(v, [
                ["cleanup.policy", "compact", false, false, 1],
                ["retention.ms", "604800000", false, true, 5],
              ], syn),
            ],
            [
              ...i16(0),
              ...str(null),
              ...i8(4),
              ...str("1"),
              ...configs(v, [
                ["num.partitions", "3", true, false, 4],
                ["auto.create.topics.enable", "true", true, false, 4],
              ], syn),
            ],
            [
              ...i16(3),
              ...str("topic missing does not exist"),
              ...i8(2),
              ...str("missing"),
              ...arr([]),
            ],
            [
              ...i16(42),
              ...str('broker "7" is not this broker (1)'),
              ...i8(4),
              ...str("7"),
              ...arr([]),
            ],
            [
              ...i16(42),
              ...str("resource type 3 is not supported (only 2 = topic and 4 = broker)"),
              ...i8(3),
              ...str("g"),
              ...arr([]),
            ],
          ]),
        ]);
      }
    }
  }, { defaultPartitions: 3 });
});
