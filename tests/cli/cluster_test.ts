import assert from "node:assert/strict";
import { ClusterReader, lagSeconds } from "../../lib/cli/_cluster.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { withBroker } from "./_broker.ts";

Deno.test("ClusterReader reads at offsets, finds offsets by time, commits, and gives exact lag seconds", async () => {
  await withBroker(async (address) => {
    const kafka = kafkaFor(address);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    const base = Date.now() - 60_000;
    await producer.send({
      topic: "t",
      messages: [0, 1, 2, 3].map((i) => ({
        partition: 0,
        key: `k${i}`,
        value: `v${i}`,
        timestamp: String(base + i * 10_000),
        headers: { h: `x${i}` },
      })),
    });
    await producer.disconnect();
    const reader = new ClusterReader(address);
    try {
      const ranges = await reader.ranges(["t"]);
      assert.deepEqual(ranges.get("t"), [
        { partition: 0, low: 0, high: 4 },
        { partition: 1, low: 0, high: 0 },
      ]);
      const { records, high } = await reader.read("t", 0, 2);
      assert.equal(high, 4);
      assert.deepEqual(records.map((r) => r.offset), [2, 3]);
      assert.equal(new TextDecoder().decode(records[0].value!), "v2");
      assert.equal(new TextDecoder().decode(records[0].headers[0].value!), "x2");
      assert.equal(records[0].timestamp, base + 20_000);
      const at = await reader.offsetsForTime("t", base + 15_000);
      assert.equal(at.get(0), 2);
      assert.equal(at.get(1), -1);
      const now = base + 100_000;
      assert.equal(await lagSeconds(reader, "t", 0, 1, 4, now), 90);
      assert.equal(await lagSeconds(reader, "t", 0, 4, 4, now), 0);
      assert.equal(await lagSeconds(reader, "t", 0, -1, 4, now), null);
      await reader.commit("g", "t", [{ partition: 0, offset: 3 }]);
      const [c] = await admin.fetchOffsets({ groupId: "g", topics: ["t"] });
      assert.equal(c.partitions.find((p) => p.partition === 0)?.offset, "3");
    } finally {
      await reader.close();
      await admin.disconnect();
    }
  });
});
