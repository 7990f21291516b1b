/**
 * kill -9 the broker process during an acks=all produce load; after a restart on the same data
 * dir every acknowledged message is present, in order, exactly once. Also: `sa broker` stops
 * cleanly (exit 0) on SIGINT/SIGTERM.
 */
import { Kafka, logLevel } from "kafkajs";
import { assert, assertEquals } from "./clients/_assert.ts";
import { spawnBroker } from "./clients/_process.ts";
import { text, unique, waitFor } from "./clients/_kafkajs.ts";

const PARTITIONS = 2;

function client(address: string): Kafka {
  return new Kafka({
    clientId: "sa-durability",
    brokers: [address],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 5000,
    // Unacknowledged sends are given up on quickly once the broker is gone.
    retry: { retries: 1, initialRetryTime: 50, maxRetryTime: 200 },
  });
}

for (const fsync of ["interval", "always"] as const) {
  Deno.test(`durability (fsync ${fsync}): kill -9 mid acks=all load loses no acked message`, () =>
    killDuringLoad(fsync));
}

async function killDuringLoad(fsync: "interval" | "always"): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-durability-" });
  const args = ["--fsync", fsync];
  let broker = await spawnBroker({ dataDir, args });
  const topic = unique("durable");
  const acked: number[][] = Array.from({ length: PARTITIONS }, () => []);
  const attempted = new Set<number>();
  // First id of each acknowledged request, per producer, in acknowledgement order.
  const ackedByProducer: number[][] = [[], [], []];
  try {
    {
      const kafka = client(broker.address);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic, numPartitions: PARTITIONS }],
        waitForLeaders: true,
      });
      await admin.disconnect();

      // Several independent idempotent producers keep requests in flight when the kill lands.
      const producers = Array.from(
        { length: 3 },
        () => kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
      );
      await Promise.all(producers.map((p) => p.connect()));
      let next = 0;
      let stop = false;
      const loops = producers.map(async (producer, k) => {
        while (!stop) {
          const partition = next % PARTITIONS;
          const ids = Array.from({ length: 25 }, () => next++);
          ids.forEach((i) => attempted.add(i));
          try {
            await producer.send({
              topic,
              acks: -1,
              messages: ids.map((i) => ({ partition, value: `id-${i}-${"d".repeat(64)}` })),
            });
            acked[partition].push(...ids);
            ackedByProducer[k].push(ids[0]);
          } catch {
            return; // the broker died under this request: not acknowledged
          }
        }
      });
      await waitFor(
        "a produce load to be under way",
        () => acked.reduce((s, a) => s + a.length, 0) >= 3000,
        30_000,
        5,
      );
      // SIGKILL while requests are in flight: no shutdown hook can flush anything.
      const status = await broker.stop("SIGKILL");
      assertEquals(status.signal, "SIGKILL");
      stop = true;
      await Promise.all(loops);
      await Promise.all(producers.map((p) => p.disconnect().catch(() => {})));
    }

    broker = await spawnBroker({ dataDir, args });
    const kafka = client(broker.address);
    const admin = kafka.admin();
    const consumer = kafka.consumer({
      groupId: unique("durable-check"),
      heartbeatInterval: 500,
      maxWaitTimeInMs: 100,
    });
    try {
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topic);
      const total = ends.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
      const stored: number[][] = Array.from({ length: PARTITIONS }, () => []);
      let count = 0;
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          const m = text(message.value)!.match(/^id-(\d+)-/);
          assert(m, `unexpected value at ${partition}@${message.offset}`);
          stored[partition].push(Number(m[1]));
          count++;
          await Promise.resolve();
        },
      });
      await waitFor(`${total} stored messages (have ${count})`, () => count >= total, 30_000);

      let ackedTotal = 0;
      for (let p = 0; p < PARTITIONS; p++) {
        const seen = new Set<number>();
        for (const id of stored[p]) {
          assert(!seen.has(id), `partition ${p}: id ${id} stored twice`);
          assert(attempted.has(id), `partition ${p}: id ${id} was never sent`);
          seen.add(id);
        }
        for (const id of acked[p]) assert(seen.has(id), `partition ${p}: acked id ${id} lost`);
        ackedTotal += acked[p].length;
      }
      // Each producer's acknowledged requests sit in the log in the order they were acknowledged.
      const where = new Map<number, [number, number]>();
      stored.forEach((ids, p) => ids.forEach((id, pos) => where.set(id, [p, pos])));
      for (const firsts of ackedByProducer) {
        const last = new Map<number, number>();
        for (const id of firsts) {
          const [p, pos] = where.get(id)!;
          assert(pos > (last.get(p) ?? -1), `id ${id} stored before an earlier acked request`);
          last.set(p, pos);
        }
      }
      assert(ackedTotal >= 3000, `only ${ackedTotal} acknowledged`);
      // Requests are never torn or interleaved: within one 25-id request ids are consecutive.
      for (const ids of stored) {
        for (let i = 1; i < ids.length; i++) {
          if (ids[i] % 25 !== 0) assertEquals(ids[i], ids[i - 1] + 1);
        }
      }

      const storedTotal = stored.reduce((n, ids) => n + ids.length, 0);
      assertEquals(storedTotal, total);
      // The recovered log keeps accepting writes after the old tail.
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const [r] = await producer.send({
        topic,
        acks: -1,
        messages: [{ partition: 0, value: "id-999999999-after" }],
      });
      await producer.disconnect();
      assertEquals(Number(r.baseOffset), Number(ends.find((o) => o.partition === 0)!.high));
      console.log(
        `durability (fsync ${fsync}): ${ackedTotal} acknowledged, ${storedTotal} stored after kill -9 ` +
          `(${storedTotal - ackedTotal} unacknowledged but written)`,
      );
    } finally {
      await consumer.disconnect();
      await admin.disconnect();
    }
  } finally {
    const status = await broker.stop("SIGTERM");
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    assertEquals(status.code, 0, `broker did not stop cleanly on SIGTERM:\n${broker.output()}`);
  }
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.test(`sa broker stops cleanly on ${signal} and keeps its data`, async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "sa-signal-" });
    try {
      let broker = await spawnBroker({ dataDir });
      const topic = unique("signal");
      const producer = client(broker.address).producer();
      await producer.connect();
      await producer.send({ topic, acks: -1, messages: [{ value: "kept" }] });
      await producer.disconnect();
      const status = await broker.stop(signal);
      assertEquals(status.code, 0, broker.output());
      assert(broker.output().includes("broker stopped"), broker.output());

      broker = await spawnBroker({ dataDir });
      const admin = client(broker.address).admin();
      try {
        await admin.connect();
        const [o] = await admin.fetchTopicOffsets(topic);
        assertEquals(o.high, "1");
      } finally {
        await admin.disconnect();
        await broker.stop("SIGTERM");
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  });
}
