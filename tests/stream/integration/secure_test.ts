/**
 * The runtime against a SASL/SCRAM + TLS broker: an app's produce → process → output, the
 * changelog fetch reader's own connections, and a wrong password failing `run()` clearly.
 *
 * @module
 */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { Kafka, logLevel } from "kafkajs";
import { Application } from "../../../lib/stream/application.ts";
import { fetchRange } from "../../../lib/stream/state/_fetch_reader.ts";
import { kafkajsSecurity, resolveSecurity } from "../../../lib/stream/kafka/security.ts";
import { UserStore } from "../../../lib/broker/sasl/users.ts";
import { makePki, type TestPki } from "../../_tls.ts";
import { fastConsumer, silent, startTestBroker } from "./_util.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function withSecureBroker(fn: (address: string, pki: TestPki) => Promise<void>) {
  const pki = await makePki();
  const users = new UserStore();
  await users.set("alice", "s3cret");
  const b = await startTestBroker({
    logger: silent,
    tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
    users,
  });
  try {
    await fn(`localhost:${b.port}`, pki);
  } finally {
    await b.close();
    await pki.cleanup();
  }
}

Deno.test({
  name: "an app over SASL_SSL/SCRAM-SHA-256: produce → app → output; the fetch reader reads it too",
  ...opts,
  async fn() {
    await withSecureBroker(async (address, pki) => {
      const security = {
        securityProtocol: "SASL_SSL" as const,
        sasl: { mechanism: "SCRAM-SHA-256" as const, username: "alice", password: "s3cret" },
        ssl: { caLocation: pki.files.ca },
      };
      const app = new Application({
        brokerAddress: address,
        consumerGroup: "secure",
        autoOffsetReset: "earliest",
        commitInterval: 200,
        logLevel: "WARN",
        consumer: fastConsumer,
        handleSignals: false,
        ...security,
      });
      const input = app.topic<{ n: number }>("secure-in");
      const output = app.topic<{ n: number }>("secure-out");
      app.dataframe(input).apply((v) => ({ n: v.n * 10 })).toTopic(output);
      const producer = await app.getProducer();
      for (let n = 1; n <= 20; n++) producer.produce(input, { key: `k${n}`, value: { n } });
      await producer.close();

      const stop = new AbortController();
      const running = app.run({ signal: stop.signal });
      // Read the output with the toolkit's own fetch client, over TLS + SASL.
      const resolved = resolveSecurity(security, () => undefined);
      const got: number[] = [];
      const deadline = Date.now() + 20_000;
      while (got.length < 20 && Date.now() < deadline) {
        got.length = 0;
        try {
          for await (
            const records of fetchRange([address], "secure-out", 0, 0, 20, undefined, resolved)
          ) {
            for (const r of records) got.push(JSON.parse(new TextDecoder().decode(r.value!)).n);
          }
        } catch {
          // not all 20 written yet: the range ends past the high watermark
        }
        if (got.length < 20) await new Promise((r) => setTimeout(r, 100));
      }
      stop.abort();
      await running;
      assertEquals(got.sort((a, b) => a - b), [...Array(20).keys()].map((i) => (i + 1) * 10));

      // kafkajs with the same settings sees the committed offsets.
      const kafka = new Kafka({
        brokers: [address],
        logLevel: logLevel.NOTHING,
        ...kafkajsSecurity(resolved),
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        const offsets = await admin.fetchOffsets({ groupId: "secure", topics: ["secure-in"] });
        assertEquals(Number(offsets[0].partitions[0].offset), 20);
      } finally {
        await admin.disconnect();
      }
    });
  },
});

Deno.test({
  name: "an app with a wrong password: run() fails naming the broker, without the password",
  ...opts,
  async fn() {
    await withSecureBroker(async (address, pki) => {
      const app = new Application({
        brokerAddress: address,
        consumerGroup: "secure-bad",
        logLevel: "SILENT",
        handleSignals: false,
        securityProtocol: "SASL_SSL",
        sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "hunter2" },
        ssl: { caLocation: pki.files.ca },
      });
      app.dataframe(app.topic("secure-in")).print();
      const started = Date.now();
      const err = await assertRejects(() => app.run());
      const msg = (err as Error).message;
      assert(msg.includes(address), msg);
      assert(/invalid credentials with SASL mechanism SCRAM-SHA-512/.test(msg), msg);
      assert(!msg.includes("hunter2"), msg);
      assert(Date.now() - started < 30_000, "failed promptly");
    });
  },
});
