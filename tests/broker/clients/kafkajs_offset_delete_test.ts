/**
 * OffsetDelete (47) against a group of real kafkajs consumers: the broker reads their
 * subscription out of kafkajs's own member metadata (no kafkajs API sends OffsetDelete, so the
 * request itself is hand-built).
 */
import { assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClient, unique, waitFor } from "./_kafkajs.ts";
import { arr, i32, i64, request, str, WireClient } from "../apis/_wire.ts";

/** OffsetDelete v0 of partition 0 of each topic: [group error, per-topic partition error]. */
async function offsetDelete(port: number, group: string, topics: string[]) {
  const c = await WireClient.connect(port);
  try {
    const res = await c.roundTrip(request(47, 0, 1, [
      ...str(group),
      ...arr(topics.map((t) => [...str(t), ...arr([i32(0)])])),
    ]));
    const v = new DataView(res.buffer, res.byteOffset, res.byteLength);
    const groupError = v.getInt16(4);
    const errors: number[] = [];
    let at = 4 + 2 + 4 + 4; // correlation, error, throttle, topic count
    for (let i = 0; i < v.getInt32(at - 4); i++) {
      at += 2 + v.getInt16(at) + 4; // name, partition count (1)
      errors.push(v.getInt16(at + 4)); // after partition_index
      at += 6;
    }
    return [groupError, errors] as const;
  } finally {
    c.close();
  }
}

/** A simple (generation -1) OffsetCommit v2 of partition 0 of each topic. */
async function commit(port: number, group: string, offsets: [string, number][]) {
  const c = await WireClient.connect(port);
  try {
    const res = await c.roundTrip(request(8, 2, 1, [
      ...str(group),
      ...i32(-1),
      ...str(""),
      ...i64(-1),
      ...arr(offsets.map(([t, o]) => [...str(t), ...arr([[...i32(0), ...i64(o), ...str(null)]])])),
    ]));
    assertEquals(res.length, 4 + 4 + offsets.reduce((n, [t]) => n + 2 + t.length + 4 + 6, 0));
  } finally {
    c.close();
  }
}

Deno.test("kafkajs group: OffsetDelete refuses the topic it consumes, deletes the other", async () => {
  const broker = await testBroker();
  const kafka = kafkaClient(broker.address);
  const admin = kafka.admin();
  const name = unique("od-group");
  const consumer = kafka.consumer({ groupId: name, maxWaitTimeInMs: 100 });
  const consumed = unique("od-consumed"), old = unique("od-old");
  try {
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: consumed }, { topic: old }],
      waitForLeaders: true,
    });
    // Offsets for both topics while the group is empty, then a member consumes one of them.
    await commit(broker.port, name, [[old, 3], [consumed, 0]]);
    await consumer.connect();
    await consumer.subscribe({ topics: [consumed] });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => joined = true);
    await consumer.run({ eachMessage: async () => {} });
    await waitFor("the consumer joined", () => joined);

    assertEquals(await offsetDelete(broker.port, name, [consumed, old]), [0, [86, 0]]);
    const left = await admin.fetchOffsets({ groupId: name, topics: [consumed, old] });
    assertEquals(
      left.map((t) => [t.topic, t.partitions[0].offset]).sort(),
      [[consumed, "0"], [old, "-1"]].sort(),
    );
    // Once the member is gone the group is Empty and the consumed topic's offset can go too.
    await consumer.disconnect();
    assertEquals(await offsetDelete(broker.port, name, [consumed]), [0, [0]]);
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.disconnect();
    await broker.close();
  }
});
