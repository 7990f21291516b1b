import { assertResponse, withBroker } from "./_golden.ts";
import { arr, bool, i16, i32, request, str } from "./_wire.ts";

function brokerPart(v: number, port: number, clusterId: string): number[] {
  return [
    ...(v >= 3 ? i32(0) : []),
    ...arr([[...i32(1), ...str("127.0.0.1"), ...i32(port), ...(v >= 1 ? str(null) : [])]]),
    ...(v >= 2 ? str(clusterId) : []),
    ...(v >= 1 ? i32(1) : []),
  ];
}

function topic(v: number, name: string, partitions: number, error = 0): number[] {
  const parts = Array.from({ length: partitions }, (_, p) => [
    ...i16(0),
    ...i32(p),
    ...i32(1),
    ...arr([i32(1)]),
    ...arr([i32(1)]),
    ...(v >= 5 ? arr([]) : []),
  ]);
  return [...i16(error), ...str(name), ...(v >= 1 ? bool(false) : []), ...arr(parts)];
}

Deno.test("Metadata v0-v6: auto-create, unknown, invalid name, all topics", async () => {
  await withBroker(async (c, b) => {
    const { port, clusterId } = b.broker.config;
    const created: string[] = [];
    for (let v = 0; v <= 6; v++) {
      const name = `golden-v${v}`;
      const allow = v >= 4 ? bool(true) : [];
      // An unknown topic is created with the default partition count (2 here).
      let res = await c.roundTrip(request(3, v, 10 + v, [...arr([str(name)]), ...allow]));
      assertResponse(res, 10 + v, [...brokerPart(v, port, clusterId), ...arr([topic(v, name, 2)])]);
      created.push(name);

      if (v >= 4) {
        // allow_auto_topic_creation=false: UNKNOWN_TOPIC_OR_PARTITION, nothing created.
        res = await c.roundTrip(request(3, v, 20 + v, [...arr([str("nope")]), ...bool(false)]));
        assertResponse(res, 20 + v, [
          ...brokerPart(v, port, clusterId),
          ...arr([topic(v, "nope", 0, 3)]),
        ]);
      }

      // An invalid name: INVALID_TOPIC_EXCEPTION.
      res = await c.roundTrip(request(3, v, 30 + v, [...arr([str("bad/name")]), ...allow]));
      assertResponse(res, 30 + v, [
        ...brokerPart(v, port, clusterId),
        ...arr([topic(v, "bad/name", 0, 17)]),
      ]);

      // All topics: an empty array in v0, null from v1.
      const all = v === 0 ? arr([]) : arr(null);
      res = await c.roundTrip(request(3, v, 40 + v, [...all, ...allow]));
      const sorted = [...created].sort();
      assertResponse(res, 40 + v, [
        ...brokerPart(v, port, clusterId),
        ...arr(sorted.map((n) => topic(v, n, 2))),
      ]);

      if (v >= 1) {
        // v1+: an empty array means no topics.
        res = await c.roundTrip(request(3, v, 50 + v, [...arr([]), ...allow]));
        assertResponse(res, 50 + v, [...brokerPart(v, port, clusterId), ...arr([])]);
      }
    }
  }, { defaultPartitions: 2 });
});

Deno.test("Metadata with auto-creation off at the broker answers UNKNOWN_TOPIC_OR_PARTITION", async () => {
  await withBroker(async (c, b) => {
    const { port, clusterId } = b.broker.config;
    const res = await c.roundTrip(request(3, 1, 5, arr([str("absent")])));
    assertResponse(res, 5, [...brokerPart(1, port, clusterId), ...arr([topic(1, "absent", 0, 3)])]);
  }, { autoCreateTopics: false });
});
