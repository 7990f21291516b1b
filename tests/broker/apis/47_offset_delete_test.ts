import assert from "node:assert/strict";
import { assertResponse, withBroker } from "./_golden.ts";
import { joinStable, subscription } from "./_members.ts";
import { arr, i16, i32, i64, request, str, type WireClient } from "./_wire.ts";

const commit = (c: WireClient, group: string, entries: [string, number, number][]) =>
  c.roundTrip(request(8, 2, 1, [
    ...str(group),
    ...i32(-1),
    ...str(""),
    ...i64(-1),
    ...arr(entries.map(([t, p, o]) => [...str(t), ...arr([[...i32(p), ...i64(o), ...str(null)]])])),
  ]));

function deleteBody(group: string, topics: [string, number[]][]): number[] {
  return [...str(group), ...arr(topics.map(([t, ps]) => [...str(t), ...arr(ps.map(i32))]))];
}

function deleteResponse(error: number, topics: [string, [number, number][]][]): number[] {
  return [
    ...i16(error),
    ...i32(0),
    ...arr(
      topics.map(([t, ps]) => [...str(t), ...arr(ps.map(([p, e]) => [...i32(p), ...i16(e)]))]),
    ),
  ];
}

/** OffsetFetch v1 of one partition: the committed offset (-1 when none). */
async function committed(c: WireClient, group: string, topic: string, p: number) {
  const res = await c.roundTrip(request(9, 1, 2, [
    ...str(group),
    ...arr([[...str(topic), ...arr([i32(p)])]]),
  ]));
  const at = 4 + 4 + 2 + topic.length + 4 + 4;
  return Number(new DataView(res.buffer, res.byteOffset).getBigInt64(at));
}

Deno.test("OffsetDelete v0: deletes offsets of unsubscribed topics, refuses subscribed ones", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(3, 1, 1, arr([str("od-a"), str("od-b")]))); // 2 partitions each
    await commit(c, "od", [["od-a", 0, 5], ["od-a", 1, 6], ["od-b", 0, 7]]);

    // An Empty group: every known partition's offset goes; unknown ones are reported.
    let res = await c.roundTrip(request(
      47,
      0,
      10,
      deleteBody("od", [
        ["od-a", [0, 9]],
        ["missing", [0]],
      ]),
    ));
    assertResponse(res, 10, deleteResponse(0, [["od-a", [[0, 0], [9, 3]]], ["missing", [[0, 3]]]]));
    assert.equal(await committed(c, "od", "od-a", 0), -1);
    assert.equal(await committed(c, "od", "od-a", 1), 6);

    // A member now consumes od-b: its offsets stay (GROUP_SUBSCRIBED_TO_TOPIC), od-a's go.
    await joinStable(c, "od", subscription(["od-b"]));
    res = await c.roundTrip(request(47, 0, 11, deleteBody("od", [["od-a", [1]], ["od-b", [0]]])));
    assertResponse(res, 11, deleteResponse(0, [["od-a", [[1, 0]]], ["od-b", [[0, 86]]]]));
    assert.equal(await committed(c, "od", "od-a", 1), -1);
    assert.equal(await committed(c, "od", "od-b", 0), 7);

    // Unreadable subscription metadata counts as subscribed to everything, as in Kafka.
    await commit(c, "od-opaque", [["od-a", 0, 1]]);
    await joinStable(c, "od-opaque", [0, 1, 2, 3]);
    res = await c.roundTrip(request(47, 0, 12, deleteBody("od-opaque", [["od-a", [0]]])));
    assertResponse(res, 12, deleteResponse(0, [["od-a", [[0, 86]]]]));

    // Group-level errors carry no topics.
    res = await c.roundTrip(request(47, 0, 13, deleteBody("nobody", [["od-a", [0]]])));
    assertResponse(res, 13, deleteResponse(69, []));
    res = await c.roundTrip(request(47, 0, 14, deleteBody("", [["od-a", [0]]])));
    assertResponse(res, 14, deleteResponse(24, []));
    await joinStable(c, "od-connect", [1], { protocolType: "connect" });
    res = await c.roundTrip(request(47, 0, 15, deleteBody("od-connect", [["od-a", [0]]])));
    assertResponse(res, 15, deleteResponse(68, []));
  }, { defaultPartitions: 2 });
});

Deno.test("OffsetDelete v0: a deleted offset stays deleted after a broker restart", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-offset-delete-" });
  try {
    await withBroker(async (c) => {
      await c.roundTrip(request(3, 1, 1, arr([str("od-r")])));
      await commit(c, "odr", [["od-r", 0, 5], ["od-r", 1, 6]]);
      const res = await c.roundTrip(request(47, 0, 2, deleteBody("odr", [["od-r", [0]]])));
      assertResponse(res, 2, deleteResponse(0, [["od-r", [[0, 0]]]]));
    }, { dataDir, defaultPartitions: 2 });
    await withBroker(async (c) => {
      assert.equal(await committed(c, "odr", "od-r", 0), -1);
      assert.equal(await committed(c, "odr", "od-r", 1), 6);
    }, { dataDir });
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
