import assert from "node:assert/strict";
import { Cluster } from "../../../lib/kafka/client/cluster.ts";
import { Admin } from "../../../lib/kafka/client/admin.ts";
import { Producer } from "../../../lib/kafka/client/producer.ts";
import { startTestBroker } from "../../broker/_harness.ts";

Deno.test("Admin: create (created/exists), ensure, list, list offsets, delete", async () => {
  const b = await startTestBroker({ autoCreateTopics: false });
  const cluster = new Cluster({ bootstrap: b.address });
  const admin = new Admin(cluster);
  try {
    assert.deepEqual(
      await admin.createTopics([
        {
          name: "a",
          partitions: 2,
          replicationFactor: 1,
          configs: { "cleanup.policy": "compact" },
        },
      ]),
      { a: "created" },
    );
    // Leaders are there once createTopics resolves.
    assert.equal(await cluster.leader("a", 1), 1);
    assert.deepEqual(await admin.createTopics([{ name: "a", partitions: 2 }]), { a: "exists" });
    assert.deepEqual(
      await admin.ensureTopics([{ name: "a", partitions: 2 }, {
        name: "b",
        partitions: 1,
        replicationFactor: 1,
      }]),
      ["b"],
    );
    assert.deepEqual(await admin.ensureTopics([{ name: "b" }]), []);
    assert.deepEqual(await admin.listTopics(), ["a", "b"]);
    await assert.rejects(
      admin.createTopics([{ name: "bad", partitions: 0, replicationFactor: 1 }]),
      /could not create topic bad: INVALID_PARTITIONS/,
    );
    await assert.rejects(
      admin.createTopics([{ name: "c", partitions: 1, configs: { "no.such.config": "1" } }]),
      /could not create topic c: INVALID_CONFIG/,
    );

    const p = await Producer.create(cluster);
    for (let i = 0; i < 5; i++) p.append("a", 1, `k${i}`, `v${i}`, undefined, 1000 + i * 10);
    await p.flush();
    assert.deepEqual(await admin.listOffsets("a", "earliest"), [
      { partition: 0, offset: 0, timestamp: -1 },
      { partition: 1, offset: 0, timestamp: -1 },
    ]);
    assert.deepEqual((await admin.listOffsets("a", "latest")).map((x) => x.offset), [0, 5]);
    assert.deepEqual(await admin.listOffsets("a", { timestamp: 1025 }, { partitions: [1] }), [
      { partition: 1, offset: 3, timestamp: 1030 },
    ]);
    await admin.deleteTopics(["a", "never-was"]);
    assert.deepEqual(await admin.listTopics(), ["b"]);
  } finally {
    await cluster.close();
    await b.close();
  }
});
