// The client over SASL_SSL against the embedded broker: admin, an idempotent producer and a
// transaction with SCRAM-SHA-512 (and the other mechanisms for connecting), a wrong password
// and a wrong CA failing at once with a clear error.
import assert from "node:assert/strict";
import { Cluster } from "../../../lib/kafka/client/cluster.ts";
import { Admin } from "../../../lib/kafka/client/admin.ts";
import { Producer } from "../../../lib/kafka/client/producer.ts";
import { TransactionalProducer } from "../../../lib/kafka/client/transaction.ts";
import { KafkaClientError } from "../../../lib/kafka/client/errors.ts";
import type { ConnectSecurity } from "../../../lib/kafka/client/connection.ts";
import { UserStore } from "../../../lib/broker/sasl/users.ts";
import { makePki } from "../../_tls.ts";
import { startTestBroker } from "../../broker/_harness.ts";

Deno.test("SASL_SSL: admin, producer and transactions over TLS with SCRAM; bad credentials and a wrong CA fail clearly", async () => {
  const pki = await makePki();
  const users = new UserStore();
  await users.set("alice", "s3cret");
  const b = await startTestBroker({
    tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
    users,
    defaultPartitions: 2,
  });
  const address = `localhost:${b.port}`;
  const secure = (mechanism: string, password = "s3cret", ca = pki.pem.ca): ConnectSecurity => ({
    protocol: "SASL_SSL",
    sasl: { mechanism, username: "alice", password },
    tls: { ca },
  });
  try {
    const cluster = new Cluster({ bootstrap: address, security: secure("SCRAM-SHA-512") });
    try {
      const admin = new Admin(cluster);
      await admin.createTopics([{ name: "sec", partitions: 2, replicationFactor: 1 }]);
      const p = await Producer.create(cluster, { compression: "zstd" });
      for (let i = 0; i < 1000; i++) p.append("sec", null, `k${i}`, `v${i}`);
      await p.flush();
      const tp = await TransactionalProducer.create(cluster, { transactionalId: "sec-tx" });
      tp.beginTransaction();
      tp.append("sec", 0, null, "in a transaction");
      await tp.commit();
      const latest = await admin.listOffsets("sec", "latest");
      assert.equal(latest.reduce((s, x) => s + x.offset, 0), 1000 + 2); // + the commit marker
    } finally {
      await cluster.close();
    }
    for (const mechanism of ["PLAIN", "SCRAM-SHA-256"]) {
      const c = new Cluster({ bootstrap: address, security: secure(mechanism) });
      try {
        assert.deepEqual(await new Admin(c).listTopics(), ["sec"]);
      } finally {
        await c.close();
      }
    }
    const wrong = new Cluster({ bootstrap: address, security: secure("SCRAM-SHA-256", "wrong") });
    try {
      const err = await new Admin(wrong).listTopics().then(() => assert.fail("expected"), (e) => e);
      assert.ok(err instanceof KafkaClientError);
      assert.equal(err.name, "SASL_AUTHENTICATION_FAILED");
      assert.ok(!err.retriable, "not retried: it fails at once");
      assert.doesNotMatch(err.message, /wrong/);
    } finally {
      await wrong.close();
    }
    const badCa = new Cluster({
      bootstrap: address,
      security: secure("PLAIN", "s3cret", pki.pem.otherCa),
      retryTimeoutMs: 500,
    });
    try {
      await assert.rejects(
        new Admin(badCa).listTopics(),
        /invalid peer certificate: UnknownIssuer/,
      );
    } finally {
      await badCa.close();
    }
  } finally {
    await b.close();
    await pki.cleanup();
  }
});
