import { deepStrictEqual as assertEquals } from "node:assert";
import { Kafka, logLevel } from "kafkajs";
import { KafkaChangelog } from "../../../lib/stream/state/kafka_changelog.ts";
import { fetchRange } from "../../../lib/stream/state/_fetch_reader.ts";
import type { ChangelogMessage } from "../../../lib/stream/state/changelog.ts";
import { silent, startTestBroker } from "../integration/_util.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Record `i` of the test changelog: tombstones, empty and large values, changing headers. */
function message(i: number): ChangelogMessage {
  const value = i % 10 === 3
    ? null
    : i % 10 === 4
    ? new Uint8Array(0)
    : i % 500 === 7
    ? enc.encode(`big${i}`.padEnd(70_000, "x")) // multi-byte length varints
    : enc.encode(`v${i}`);
  // A checkpoint's records share their headers; the offsets header changes every 100, and
  // an extra header interrupts a run of identical headers now and then.
  const headers: Record<string, string> = {
    __column_family__: "default",
    __processed_tp_offsets__: JSON.stringify({ src: Math.floor(i / 100) }),
  };
  if (i % 250 === 249) headers.extra = `é${i}`;
  return { key: enc.encode(`key-${i}`), value, headers };
}

Deno.test({
  name: "fetch reader: every record of a range, with its own value and headers",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const kafka = new Kafka({ brokers: [broker.address], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    try {
      await admin.connect();
      await producer.connect();
      const cl = new KafkaChangelog({
        brokers: [broker.address],
        admin,
        group: "g",
        produce: (topic, messages) => producer.send({ topic, messages, acks: -1 }),
      });
      await cl.ensureTopic("cl", 1);
      const n = 3000;
      // Many small produce requests: many batches, so a small fetch ends mid-range.
      for (let i = 0; i < n; i += 50) {
        const batch = [];
        for (let j = i; j < i + 50; j++) batch.push(message(j));
        await cl.send("cl", 0, batch);
      }
      const read = async (from: number, to: number, maxBytes?: number) => {
        const got = [];
        for await (const records of fetchRange([broker.address], "cl", 0, from, to, maxBytes)) {
          for (const r of records) {
            got.push({
              offset: r.offset,
              key: dec.decode(r.key),
              value: r.value === null ? null : dec.decode(r.value),
              headers: { ...r.headers },
            });
          }
        }
        return got;
      };
      const want = (from: number, to: number) =>
        Array.from({ length: to - from }, (_, k) => {
          const m = message(from + k);
          return {
            offset: from + k,
            key: dec.decode(m.key),
            value: m.value === null ? null : dec.decode(m.value),
            headers: m.headers,
          };
        });
      assertEquals(await read(0, n), want(0, n));
      // Starting inside a batch, ending before the high watermark, in fetches of ~200 KB.
      assertEquals(await read(1234, 2901, 200_000), want(1234, 2901));
    } finally {
      await producer.disconnect();
      await admin.disconnect();
      await broker.close();
    }
  },
});
