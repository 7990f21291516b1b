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

Deno.test("ClusterReader: a refresh while a read loads a topic's metadata never loses that topic", async () => {
  await withBroker(async (address) => {
    const admin = kafkaFor(address).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "t1" }] });
    await admin.disconnect();
    // Hold every metadata load at a gate, to refresh while one is under way (as the console's
    // sampler reads a new topic while a topic creation refreshes).
    const kafka = kafkaFor(address);
    const sym = Object.getOwnPropertySymbols(kafka).find((s) =>
      s.description === "private:Kafka:createCluster"
    )!;
    const k = kafka as unknown as Record<symbol, (o: unknown) => Record<string, unknown>>;
    const factory = k[sym];
    let gate = Promise.resolve();
    let entered = () => {};
    k[sym] = (o) => {
      const cluster = factory(o);
      const add = (cluster.addMultipleTargetTopics as (t: string[]) => Promise<void>).bind(cluster);
      cluster.addMultipleTargetTopics = async (t: string[]) => {
        entered();
        await gate;
        return add(t);
      };
      return cluster;
    };
    const reader = new ClusterReader(address, kafka);
    try {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      const inside = new Promise<void>((r) => (entered = r));
      const read = reader.ranges(["t1"]);
      await inside;
      const refreshed = reader.refresh();
      gate = Promise.resolve();
      open();
      await Promise.all([read, refreshed]);
      assert.equal((await reader.ranges(["t1"])).size, 1);
    } finally {
      await reader.close();
    }
  });
});

Deno.test("ClusterReader: a topic deleted by another client does not break reads of others", async () => {
  await withBroker(async (address) => {
    const admin = kafkaFor(address).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "gone" }, { topic: "other" }] });
    const reader = new ClusterReader(address);
    try {
      assert.equal((await reader.ranges(["gone"])).size, 1);
      await admin.deleteTopics({ topics: ["gone"] });
      assert.deepEqual(
        await reader.ranges(["other"]),
        new Map([["other", [{ partition: 0, low: 0, high: 0 }]]]),
      );
    } finally {
      await reader.close();
      await admin.disconnect();
    }
  });
});
