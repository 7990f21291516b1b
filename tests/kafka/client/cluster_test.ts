import assert from "node:assert/strict";
import { Reader, Writer } from "../../../lib/kafka/protocol/codec.ts";
import { Cluster } from "../../../lib/kafka/client/cluster.ts";
import {
  decodeMetadataResponse,
  encodeMetadataRequest,
} from "../../../lib/kafka/client/apis/03_metadata.ts";
import {
  decodeFindCoordinatorResponse,
  encodeFindCoordinatorRequest,
} from "../../../lib/kafka/client/apis/10_find_coordinator.ts";
import { arr, bool, i16, i32, i8, str } from "../../broker/apis/_wire.ts";
import { startTestBroker } from "../../broker/_harness.ts";

function encoded(fn: (w: Writer) => void): number[] {
  const w = new Writer(8);
  fn(w);
  return [...w.finish()];
}

Deno.test("Metadata v8 request, byte for byte", () => {
  assert.deepEqual(
    encoded((w) => encodeMetadataRequest(w, ["a", "bc"], true)),
    [...arr([str("a"), str("bc")]), ...bool(true), ...bool(false), ...bool(false)],
  );
  // null topics = every topic; [] = brokers only.
  assert.deepEqual(encoded((w) => encodeMetadataRequest(w, null, false)), [
    ...i32(-1),
    0,
    0,
    0,
  ]);
  assert.deepEqual(encoded((w) => encodeMetadataRequest(w, [], false)), [...i32(0), 0, 0, 0]);
});

Deno.test("Metadata v8 response decodes brokers, leaders and epochs", () => {
  const body = [
    ...i32(0), // throttle
    ...arr([[...i32(1), ...str("127.0.0.1"), ...i32(9092), ...str(null)], [
      ...i32(2),
      ...str("::1"),
      ...i32(9093),
      ...str("r1"),
    ]]),
    ...str("cid"),
    ...i32(1),
    ...arr([[
      ...i16(0),
      ...str("t"),
      ...bool(false),
      ...arr([
        [
          ...i16(0),
          ...i32(1),
          ...i32(2),
          ...i32(7),
          ...arr([i32(2)]),
          ...arr([i32(2)]),
          ...arr([]),
        ],
        [...i16(5), ...i32(0), ...i32(-1), ...i32(-1), ...arr([]), ...arr([]), ...arr([])],
      ]),
      ...i32(-2147483648),
    ]]),
    ...i32(-2147483648),
  ];
  const res = decodeMetadataResponse(new Reader(new Uint8Array(body)));
  assert.deepEqual(res.brokers.map((b) => b.address), ["127.0.0.1:9092", "[::1]:9093"]);
  assert.equal(res.clusterId, "cid");
  assert.deepEqual(res.topics[0].partitions, [
    { partition: 0, errorCode: 5, leader: -1, leaderEpoch: -1, replicas: [], isr: [] },
    { partition: 1, errorCode: 0, leader: 2, leaderEpoch: 7, replicas: [2], isr: [2] },
  ]);
});

Deno.test("FindCoordinator v2 request, byte for byte, and its response", () => {
  assert.deepEqual(encoded((w) => encodeFindCoordinatorRequest(w, "g", "group")), [
    ...str("g"),
    ...i8(0),
  ]);
  assert.deepEqual(encoded((w) => encodeFindCoordinatorRequest(w, "tx", "transaction")), [
    ...str("tx"),
    ...i8(1),
  ]);
  const res = decodeFindCoordinatorResponse(
    new Reader(
      new Uint8Array([
        ...i32(0),
        ...i16(15),
        ...str("loading"),
        ...i32(-1),
        ...str(""),
        ...i32(-1),
      ]),
    ),
  );
  assert.deepEqual(res, {
    errorCode: 15,
    errorMessage: "loading",
    nodeId: -1,
    host: "",
    port: -1,
  });
});

Deno.test("Cluster against the embedded broker: metadata, leaders, coordinators, connections per purpose", async () => {
  const b = await startTestBroker({ defaultPartitions: 3 });
  // The first bootstrap address refuses connections: the next one is tried.
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const refused = `127.0.0.1:${(l.addr as Deno.NetAddr).port}`;
  l.close();
  const cluster = new Cluster({ bootstrap: `${refused}, ${b.address}`, clientId: "t" });
  try {
    const res = await cluster.metadata(["events"], { allowAutoTopicCreation: true });
    assert.deepEqual(res.brokers.map((x) => x.address), [b.address]);
    assert.deepEqual(await cluster.partitions("events"), [0, 1, 2]);
    assert.equal(await cluster.leader("events", 2), 1);
    await assert.rejects(cluster.leader("events", 3), /no such partition/);
    assert.equal(await cluster.coordinator("group", "g1"), 1);
    assert.equal(await cluster.coordinator("transaction", "tx1"), 1);
    const a = await cluster.connection(1, "fetch");
    const c = await cluster.connection(1, "group");
    assert.notEqual(a, c);
    assert.equal(await cluster.connection(1, "fetch"), a);
    // A closed connection is reopened on next use.
    a.close();
    await a.closed;
    const again = await cluster.connection(1, "fetch");
    assert.notEqual(again, a);
    assert.ok(!again.isClosed);
    // A topic that does not exist (auto-creation off) fails once the retry time is up.
    const quick = new Cluster({ bootstrap: b.address, retryTimeoutMs: 200 });
    try {
      await assert.rejects(quick.topic("missing"), /UNKNOWN_TOPIC_OR_PARTITION/);
    } finally {
      await quick.close();
    }
    // Once closed, nothing is retried: the next use fails at once.
    await cluster.close();
    const err = await cluster.connection(1, "fetch").then(() => assert.fail("closed"), (e) => e);
    assert.equal(err.name, "CLIENT_CLOSED");
    assert.equal(err.retriable, false);
  } finally {
    await cluster.close();
    await b.close();
  }
});
