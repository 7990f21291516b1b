import { assert, assertEquals } from "./clients/_assert.ts";
import { startTestBroker } from "./_harness.ts";
import { kafkaClient, unique } from "./clients/_kafkajs.ts";
import { promtoolCheck, samples } from "../util/_promtool.ts";

const PROMTOOL_OK = await Deno.stat("/usr/bin/promtool").then(() => true, () => false);

Deno.test({
  name: "broker /metrics: lag in messages and exact seconds, watermarks, promtool-clean",
  ignore: !PROMTOOL_OK,
  async fn() {
    const b = await startTestBroker({ metricsPort: 0 });
    const kafka = kafkaClient(b.address);
    const producer = kafka.producer();
    const admin = kafka.admin();
    try {
      const topic = unique("metrics");
      const group = unique("g");
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
      await producer.connect();
      // Event times in the past, as a backlog would have: the lag in seconds must be the age
      // of the record at the committed offset, whatever the wall clock said when producing.
      const base = Date.now() - 120_000;
      const stamps = [base, base + 30_000, base + 60_000, base + 90_000];
      await producer.send({
        topic,
        messages: stamps.map((t, i) => ({
          partition: 0,
          key: `k${i}`,
          value: `v${i}`,
          timestamp: String(t),
        })),
      });
      await producer.send({
        topic,
        messages: [{ partition: 1, key: "x", value: "y", timestamp: String(base) }],
      });
      // Committed: partition 0 at 1 (3 behind, oldest unprocessed is stamps[1]);
      // partition 1 at 1 (caught up).
      await admin.setOffsets({
        groupId: group,
        topic,
        partitions: [{ partition: 0, offset: "1" }, { partition: 1, offset: "1" }],
      });

      const before = Date.now();
      const res = await fetch(`http://127.0.0.1:${b.broker.metricsPort}/metrics`);
      const after = Date.now();
      assertEquals(res.status, 200);
      assert(res.headers.get("content-type")!.startsWith("text/plain; version=0.0.4"));
      const text = await res.text();
      await promtoolCheck(text);

      const mine = (name: string) =>
        samples(text, name).filter(([l]) => l.topic === topic && (!l.group || l.group === group));
      const byPart = (name: string) =>
        Object.fromEntries(mine(name).map(([l, v]) => [l.partition, v]));
      assertEquals(byPart("kafka_partition_latest_offset"), { "0": 4, "1": 1 });
      assertEquals(byPart("kafka_partition_earliest_offset"), { "0": 0, "1": 0 });
      assertEquals(byPart("kafka_consumergroup_group_offset"), { "0": 1, "1": 1 });
      assertEquals(byPart("kafka_consumergroup_group_lag"), { "0": 3, "1": 0 });
      const secs = byPart("kafka_consumergroup_group_lag_seconds");
      assertEquals(secs["1"], 0);
      const lo = (before - stamps[1]) / 1000;
      const hi = (after - stamps[1]) / 1000;
      assert(secs["0"] >= lo && secs["0"] <= hi, `lag seconds ${secs["0"]} not in [${lo}, ${hi}]`);
      const sum = samples(text, "kafka_consumergroup_group_sum_lag").find(([l]) =>
        l.group === group
      );
      assertEquals(sum?.[1], 3);
      const maxS = samples(text, "kafka_consumergroup_group_max_lag_seconds").find(([l]) =>
        l.group === group
      )!;
      assertEquals(maxS[1], secs["0"]);
      // Five records produced, at least one connection; a consumer fetched nothing yet.
      assertEquals(samples(text, "sa_broker_messages_in_total")[0][1], 5);
      assert(samples(text, "sa_broker_connections_total")[0][1] >= 1);
      assert(samples(text, "sa_broker_bytes_in_total")[0][1] > 0);

      assertEquals((await fetch(`http://127.0.0.1:${b.broker.metricsPort}/nope`)).status, 404);
      await (await fetch(`http://127.0.0.1:${b.broker.metricsPort}/nope`)).body?.cancel();
    } finally {
      await producer.disconnect();
      await admin.disconnect();
      await b.close();
    }
  },
});

Deno.test({
  name: "broker /metrics: messages out counts fetched data records, not control records",
  ignore: !PROMTOOL_OK,
  async fn() {
    const b = await startTestBroker({ metricsPort: 0 });
    const kafka = kafkaClient(b.address);
    const producer = kafka.producer({ transactionalId: unique("tx"), maxInFlightRequests: 1 });
    const consumer = kafka.consumer({ groupId: unique("g") });
    try {
      const topic = unique("out");
      await producer.connect();
      const tx = await producer.transaction();
      await tx.send({ topic, messages: [{ value: "a" }, { value: "b" }] });
      await tx.commit();
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let got = 0;
      const done = new Promise<void>((resolve) => {
        consumer.run({
          eachMessage: () => {
            if (++got === 2) resolve();
            return Promise.resolve();
          },
        });
      });
      await done;
      const text = await (await fetch(`http://127.0.0.1:${b.broker.metricsPort}/metrics`)).text();
      await promtoolCheck(text);
      const out = samples(text, "sa_broker_messages_out_total")[0][1];
      // The two records may be fetched more than once across polls, never the marker.
      assert(out >= 2 && out % 2 === 0, `messages out ${out}`);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await b.close();
    }
  },
});
