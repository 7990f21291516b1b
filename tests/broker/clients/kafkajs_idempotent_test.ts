import { assert, assertEquals } from "./_assert.ts";
import { testBroker } from "./_broker.ts";
import { kafkaClient, text, unique, waitFor } from "./_kafkajs.ts";
import { locateProduceBatch, parseProduceResponse, RecordingProxy, roundTrip } from "./_wire.ts";
import { crc32c } from "../../../lib/kafka/protocol/crc32c.ts";

/** A copy of a captured Produce request with a new correlation id and, optionally, sequence. */
function variant(body: Uint8Array, correlationId: number, baseSequence?: number): Uint8Array {
  const out = body.slice();
  const dv = new DataView(out.buffer);
  dv.setInt32(4, correlationId);
  if (baseSequence !== undefined) {
    const { start, length } = locateProduceBatch(out);
    dv.setInt32(start + 53, baseSequence);
    dv.setUint32(start + 17, crc32c(out, start + 21, start + length));
  }
  return out;
}

Deno.test("kafkajs idempotent producer: exactly once, duplicates answered with the original offset", async () => {
  const broker = await testBroker();
  const proxy = new RecordingProxy(broker.port);
  const kafka = kafkaClient(proxy.address);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({
    groupId: unique("idem-group"),
    heartbeatInterval: 500,
    maxWaitTimeInMs: 200,
  });
  let raw: Deno.TcpConn | undefined;
  try {
    const topic = unique("idem");
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await producer.connect();
    const bases: number[] = [];
    for (let s = 0; s < 5; s++) {
      const [r] = await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 100 }, (_, i) => ({ value: `m${s * 100 + i}` })),
      });
      assertEquals(r.errorCode, 0);
      bases.push(Number(r.baseOffset));
    }
    assertEquals(bases, [0, 100, 200, 300, 400]);

    const produces = proxy.requests.filter((r) => r.apiKey === 0);
    assertEquals(produces.length, 5, "one Produce request per send");
    const pids = produces.map((r) => {
      const { start } = locateProduceBatch(r.body);
      return new DataView(r.body.buffer).getBigInt64(start + 43);
    });
    assert(pids.every((p) => p >= 0n && p === pids[0]), `producer ids: ${pids}`);

    raw = await Deno.connect({ hostname: "127.0.0.1", port: broker.port });
    // A retried (duplicate) batch: NONE with the original base offset, nothing appended.
    const dupLast = parseProduceResponse((await roundTrip(raw, variant(produces[4].body, 9001)))!);
    assertEquals(dupLast, { errorCode: 0, baseOffset: 400 });
    const dupOld = parseProduceResponse((await roundTrip(raw, variant(produces[2].body, 9002)))!);
    assertEquals(dupOld, { errorCode: 0, baseOffset: 200 });
    // A sequence gap: OUT_OF_ORDER_SEQUENCE_NUMBER (45).
    const gap = parseProduceResponse(
      (await roundTrip(raw, variant(produces[4].body, 9003, 10_000)))!,
    );
    assertEquals(gap.errorCode, 45);

    const [o] = await admin.fetchTopicOffsets(topic);
    assertEquals(o.high, "500");

    const got: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(text(message.value)!);
        await Promise.resolve();
      },
    });
    await waitFor("500 messages", () => got.length >= 500, 20_000);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(got, Array.from({ length: 500 }, (_, i) => `m${i}`));
  } finally {
    raw?.close();
    await consumer.disconnect();
    await producer.disconnect();
    await admin.disconnect();
    await proxy.close();
    await broker.close();
  }
});
