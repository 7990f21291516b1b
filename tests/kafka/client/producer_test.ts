import assert from "node:assert/strict";
import { Cluster } from "../../../lib/kafka/client/cluster.ts";
import { Producer } from "../../../lib/kafka/client/producer.ts";
import { Admin } from "../../../lib/kafka/client/admin.ts";
import { KafkaClientError } from "../../../lib/kafka/client/errors.ts";
import { keyPartition } from "../../../lib/kafka/client/partitioner.ts";
import { startTestBroker } from "../../broker/_harness.ts";
import { readPartition } from "./_read.ts";
import { startProxy } from "./_proxy.ts";

async function withCluster(
  fn: (cluster: Cluster, address: string) => Promise<void>,
  brokerOpts: Parameters<typeof startTestBroker>[0] = {},
): Promise<void> {
  const b = await startTestBroker({ defaultPartitions: 3, ...brokerOpts });
  const cluster = new Cluster({ bootstrap: b.address, clientId: "producer-test" });
  try {
    await fn(cluster, b.address);
  } finally {
    await cluster.close();
    await b.close();
  }
}

Deno.test("Producer: keyed records land on murmur2's partition, in order, once each", async () => {
  await withCluster(async (cluster, address) => {
    const p = await Producer.create(cluster);
    assert.ok(p.producerId >= 0, "idempotent by default");
    const n = 3000;
    for (let i = 0; i < n; i++) {
      p.append(
        "keyed",
        null,
        `key-${i % 50}`,
        `value-${i}`,
        { seq: String(i) },
        1_700_000_000_000 + i,
      );
    }
    await p.flush();
    assert.equal(p.acked, n);
    assert.equal(p.pending, 0);
    const seen = new Set<number>();
    for (let part = 0; part < 3; part++) {
      const recs = await readPartition(address, "keyed", part);
      let last = -1;
      for (const r of recs) {
        assert.equal(keyPartition(r.key!, 3), part);
        const i = Number(r.headers.seq);
        assert.equal(r.value, `value-${i}`);
        assert.equal(r.timestamp, 1_700_000_000_000 + i);
        assert.ok(i > last, "in append order");
        last = i;
        seen.add(i);
      }
    }
    assert.equal(seen.size, n);
    for (let part = 0; part < 3; part++) {
      const recs = await readPartition(address, "keyed", part);
      assert.equal(p.lastOffset("keyed", part), recs.at(-1)!.offset);
    }
    assert.equal(p.lastOffset("nope", 0), -1);
    await p.close();
    assert.throws(() => p.append("keyed", 0, null, "late"), /closed/);
  });
});

Deno.test("Producer: explicit partitions, acks 1 and 0, gzip and zstd, a topic created on first use", async () => {
  await withCluster(async (cluster, address) => {
    for (const [acks, compression] of [[1, "gzip"], [0, "zstd"], [-1, "none"]] as const) {
      const topic = `t-${acks}-${compression}`;
      const p = await Producer.create(cluster, { acks, compression, lingerMs: 5 });
      for (let i = 0; i < 200; i++) p.append(topic, 2, null, `${compression} ${i}`);
      await p.flush();
      await p.close();
      let recs = await readPartition(address, topic, 2);
      // acks 0: nothing is answered, so wait until the broker has appended them all.
      for (const end = Date.now() + 10_000; recs.length < 200 && Date.now() < end;) {
        await new Promise((r) => setTimeout(r, 20));
        recs = await readPartition(address, topic, 2);
      }
      assert.deepEqual(
        recs.map((r) => r.value),
        Array.from({ length: 200 }, (_, i) => `${compression} ${i}`),
      );
    }
    const p = await Producer.create(cluster);
    assert.throws(
      () => p.append("t-1-gzip", 3, null, "x"),
      /t-1-gzip has no partition 3 \(it has 3\)/,
    );
  });
});

Deno.test("Producer: a batch the broker refuses fails the producer; later calls throw the same error until recover()", async () => {
  await withCluster(async (cluster, address) => {
    await new Admin(cluster).createTopics([
      {
        name: "small",
        partitions: 1,
        replicationFactor: 1,
        configs: { "max.message.bytes": "2000" },
      },
    ]);
    const p = await Producer.create(cluster);
    p.append("small", 0, null, "x".repeat(5000));
    const err = await p.flush().then(() => assert.fail("expected a failure"), (e) => e);
    assert.ok(err instanceof KafkaClientError);
    assert.equal(err.name, "MESSAGE_TOO_LARGE");
    assert.match(err.message, /produce to small\[0\]: MESSAGE_TOO_LARGE/);
    assert.throws(() => p.append("small", 0, null, "y"), (e) => e === err);
    await assert.rejects(p.flush(), (e) => e === err);
    // The application skips the lost record: a new producer id, and the next records go.
    const pid = p.producerId;
    await p.recover();
    assert.notEqual(p.producerId, pid);
    p.append("small", 0, null, "after");
    await p.flush();
    assert.deepEqual((await readPartition(address, "small", 0)).map((r) => r.value), ["after"]);
  });
});

/** Produces 100 records through a proxy that loses the first Produce answer. */
async function produceThroughLostAnswer(idempotent: boolean): Promise<string[]> {
  const b = await startTestBroker({ defaultPartitions: 1 });
  let answers = 0;
  const proxy = startProxy(b.address, {
    onResponse: (key) => key === 0 && answers++ === 0 ? "drop-and-close" : "forward",
  });
  const cluster = new Cluster({ bootstrap: proxy.address });
  try {
    const p = await Producer.create(cluster, { idempotent });
    for (let i = 0; i < 100; i++) p.append("lost", 0, null, `m${i}`);
    await p.flush();
    assert.equal(answers, 2, "the first answer was lost and the batch sent again");
    assert.ok(proxy.requests.filter(([k]) => k === 0).length >= 2);
    return (await readPartition(b.address, "lost")).map((r) => r.value!);
  } finally {
    await cluster.close();
    await proxy.close();
    await b.close();
  }
}

Deno.test("Producer: an idempotent retry after a lost answer does not duplicate", async () => {
  const values = await produceThroughLostAnswer(true);
  assert.deepEqual(values, Array.from({ length: 100 }, (_, i) => `m${i}`));
});

Deno.test("Producer: a lost answer among many batches in flight: resent in sequence order, nothing twice", async () => {
  const b = await startTestBroker({ defaultPartitions: 1 });
  let answers = 0;
  // Small batches, sent while earlier ones are in flight; the third answer is lost with the
  // connection, and the answers to the two batches behind it with it.
  let sentAtDrop = 0;
  const produced = () => proxy.requests.filter(([k]) => k === 0).length;
  const proxy = startProxy(b.address, {
    onResponse: async (key) => {
      if (key !== 0) return "forward";
      // Hold the first answer until five batches are in flight (the most per partition).
      while (answers === 0 && produced() < 5) await new Promise((r) => setTimeout(r, 5));
      if (++answers !== 3) return "forward";
      sentAtDrop = produced();
      return "drop-and-close";
    },
  });
  const cluster = new Cluster({ bootstrap: proxy.address });
  try {
    const p = await Producer.create(cluster, { batchBytes: 2048 });
    for (let i = 0; i < 3000; i++) {
      p.append("many", 0, null, `m${i}`);
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 0));
    }
    await p.flush();
    assert.equal(sentAtDrop, 5, "two batches were in flight behind the lost answer");
    const values = (await readPartition(b.address, "many")).map((r) => r.value);
    assert.deepEqual(values, Array.from({ length: 3000 }, (_, i) => `m${i}`));
  } finally {
    await cluster.close();
    await proxy.close();
    await b.close();
  }
});

Deno.test("Producer: without idempotence the same lost answer duplicates (the test above can fail)", async () => {
  const values = await produceThroughLostAnswer(false);
  assert.equal(values.length, 200);
});

Deno.test("Producer: send() resolves once acknowledged; records wait for an unknown topic's metadata", async () => {
  await withCluster(async (cluster, address) => {
    const p = await Producer.create(cluster);
    await p.send("fresh", [{ key: "a", value: "1" }, { value: "2", partition: 1 }, {
      key: new Uint8Array([1, 2]),
      value: null,
      headers: { h: new Uint8Array([104]) },
    }]);
    const all = [0, 1, 2].map((part) => readPartition(address, "fresh", part));
    const recs = (await Promise.all(all)).flat();
    assert.equal(recs.length, 3);
    assert.ok(recs.some((r) => r.value === null && r.headers.h === "h"));
  });
});

Deno.test("Producer: rides out a broker restart with batches in flight; every record stored once", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-client-restart-" });
  let b = await startTestBroker({ dataDir, defaultPartitions: 2 });
  const port = b.port;
  const cluster = new Cluster({ bootstrap: b.address, connectTimeoutMs: 1000 });
  try {
    const p = await Producer.create(cluster);
    for (let i = 0; i < 500; i++) p.append("r", i % 2, null, `before ${i}`);
    await p.flush();
    await b.close();
    for (let i = 0; i < 500; i++) p.append("r", i % 2, null, `during ${i}`);
    const flushed = p.flush();
    await new Promise((r) => setTimeout(r, 500));
    b = await startTestBroker({ dataDir, port, defaultPartitions: 2 });
    await flushed;
    for (const part of [0, 1]) {
      const values = (await readPartition(b.address, "r", part)).map((r) => r.value);
      assert.equal(values.length, 500);
      assert.equal(new Set(values).size, 500);
      assert.equal(values[250], `during ${part}`);
    }
  } finally {
    await cluster.close();
    await b.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("Producer: ready(maxPending) holds a fast loop back until enough is acknowledged", async () => {
  await withCluster(async (cluster, address) => {
    const p = await Producer.create(cluster, { batchBytes: 4096 });
    let maxSeen = 0;
    for (let i = 0; i < 20_000; i++) {
      p.append("bp", i % 3, null, `record ${i}`);
      if (i % 100 === 99) {
        await p.ready(1000);
        maxSeen = Math.max(maxSeen, p.pending);
      }
    }
    assert.ok(maxSeen <= 1000, `pending after ready(1000): ${maxSeen}`);
    await p.flush();
    const counts = await Promise.all([0, 1, 2].map((part) => readPartition(address, "bp", part)));
    assert.deepEqual(counts.map((c) => c.length), [6667, 6667, 6666]);
  });
});

Deno.test("Producer: bad options are refused with one line naming the option", async () => {
  const cluster = new Cluster({ bootstrap: "127.0.0.1:1" });
  await assert.rejects(
    Producer.create(cluster, { compression: "lz5" as "gzip" }),
    /producer compression "lz5" is not one of none, gzip, zstd/,
  );
  await assert.rejects(
    Producer.create(cluster, { lingerMs: -1 }),
    /producer option lingerMs must be an integer >= 0, got -1/,
  );
  await assert.rejects(
    Producer.create(cluster, { acks: 2 as 1 }),
    /producer option acks must be -1, 0 or 1, got 2/,
  );
  await assert.rejects(
    Producer.create(cluster, { acks: 1, idempotent: true }),
    /an idempotent producer needs acks -1, got 1/,
  );
  await cluster.close();
});
