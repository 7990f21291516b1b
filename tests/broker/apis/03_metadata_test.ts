import assert from "node:assert/strict";
import { assertResponse, withBroker } from "./_golden.ts";
import { storedTopic } from "./_configs.ts";
import { carr, cnstr, cscalars, TAGS, uuid } from "./_flex.ts";
import { arr, bool, cstr, i16, i32, request, str } from "./_wire.ts";

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

const ZERO = "00000000-0000-0000-0000-000000000000";
const NOT_REQUESTED = -2147483648;

function topicId(dataDir: string, name: string): Promise<string> {
  return Promise.resolve(storedTopic(dataDir, name).id!);
}

/** A v7+ request for topics given as [id, name]; null asks for all topics. */
function newBody(v: number, topics: [string, string | null][] | null, allow = true): number[] {
  const flex = v >= 9;
  const items = topics?.map(([id, name]) => [
    ...(v >= 10 ? uuid(id) : []),
    ...(flex ? cnstr(name) : str(name)),
  ]) ?? null;
  return [
    ...(flex ? carr(items) : arr(items)),
    ...bool(allow),
    ...(v >= 8 && v <= 10 ? bool(false) : []),
    ...(v >= 8 ? bool(false) : []),
    ...(flex ? TAGS : []),
  ];
}

/** The v7+ response for `topics` as [error, name, id, partitions]. */
function newResponse(
  v: number,
  port: number,
  clusterId: string,
  topics: [number, string | null, string, number][],
): number[] {
  const flex = v >= 9;
  const a = flex ? carr : arr;
  const ints = (xs: number[]) => flex ? cscalars(xs.map(i32)) : arr(xs.map(i32));
  return [
    ...i32(0),
    ...a([[
      ...i32(1),
      ...(flex ? cstr("127.0.0.1") : str("127.0.0.1")),
      ...i32(port),
      ...(flex ? cnstr(null) : str(null)),
    ]]),
    ...(flex ? cnstr(clusterId) : str(clusterId)),
    ...i32(1),
    ...a(topics.map(([error, name, id, partitions]) => [
      ...i16(error),
      ...(v >= 12 ? cnstr(name) : flex ? cstr(name ?? "") : str(name)),
      ...(v >= 10 ? uuid(id) : []),
      ...bool(false),
      ...a(Array.from({ length: partitions }, (_, p) => [
        ...i16(0),
        ...i32(p),
        ...i32(1),
        ...i32(0), // leader epoch
        ...ints([1]),
        ...ints([1]),
        ...ints([]),
      ])),
      ...(v >= 8 ? i32(NOT_REQUESTED) : []),
    ])),
    ...(v >= 8 && v <= 10 ? i32(NOT_REQUESTED) : []),
    ...(flex ? TAGS : []),
  ];
}

Deno.test("Metadata v7-v12: leader epoch, flexible encoding, topic ids and lookup by id", async () => {
  await withBroker(async (c, b) => {
    const { port, clusterId } = b.broker.config;
    for (let v = 7; v <= 12; v++) {
      const flexible = v >= 9;
      const hdr = flexible ? TAGS : [];
      const name = `golden-v${v}`;
      let res = await c.roundTrip(request(3, v, v, newBody(v, [[ZERO, name]]), { flexible }));
      const id = await topicId(b.dataDir, name);
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assertResponse(res, v, newResponse(v, port, clusterId, [[0, name, id, 2]]), hdr);

      // Not created when not allowed, invalid names, and (v10+) lookups by id.
      res = await c.roundTrip(
        request(3, v, 100 + v, newBody(v, [[ZERO, "absent"], [ZERO, "bad/name"]], false), {
          flexible,
        }),
      );
      assertResponse(
        res,
        100 + v,
        newResponse(v, port, clusterId, [[3, "absent", ZERO, 0], [17, "bad/name", ZERO, 0]]),
        hdr,
      );
      if (v >= 10) {
        const unknown = "0123abcd-0000-4000-8000-000000000000";
        res = await c.roundTrip(
          request(3, v, 200 + v, newBody(v, [[id, null], [unknown, null]]), { flexible }),
        );
        assertResponse(
          res,
          200 + v,
          newResponse(v, port, clusterId, [[0, name, id, 2], [100, null, unknown, 0]]),
          hdr,
        );
      }
    }
  }, { defaultPartitions: 2 });
});

Deno.test("Metadata v10: a topic keeps its id across restarts; deleted and re-created, a new one", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-topic-id-" });
  try {
    let first = "";
    await withBroker(async (c, b) => {
      await c.roundTrip(request(3, 10, 1, newBody(10, [[ZERO, "tid"]]), { flexible: true }));
      first = await topicId(b.dataDir, "tid");
    }, { dataDir });
    await withBroker(async (c, b) => {
      const { port, clusterId } = b.broker.config;
      let res = await c.roundTrip(request(3, 10, 2, newBody(10, null), { flexible: true }));
      assertResponse(res, 2, newResponse(10, port, clusterId, [[0, "tid", first, 1]]), TAGS);
      // DeleteTopics v1, then the same name again.
      await c.roundTrip(request(20, 1, 3, [...arr([str("tid")]), ...i32(1000)]));
      res = await c.roundTrip(request(3, 10, 4, newBody(10, [[ZERO, "tid"]]), { flexible: true }));
      const second = await topicId(b.dataDir, "tid");
      assert.notEqual(second, first);
      assertResponse(res, 4, newResponse(10, port, clusterId, [[0, "tid", second, 1]]), TAGS);
      // The old id is unknown now.
      res = await c.roundTrip(request(3, 10, 5, newBody(10, [[first, null]]), { flexible: true }));
      assertResponse(res, 5, newResponse(10, port, clusterId, [[100, "", first, 0]]), TAGS);
    }, { dataDir });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
