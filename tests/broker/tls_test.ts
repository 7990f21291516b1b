import assert from "node:assert/strict";
import { startTestBroker } from "./_harness.ts";
import { makePki, type TestPki } from "../_tls.ts";
import { UserStore } from "../../lib/broker/sasl/users.ts";
import { type ConnectSecurity, KafkaConnection } from "../../lib/kafka/client/connection.ts";
import { checkBroker } from "../../lib/runner/broker_check.ts";

/** The whole test must finish in this time: nothing may hang on a failed handshake. */
const DEADLINE_MS = 10_000;

async function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: still pending after ${DEADLINE_MS} ms`)),
          DEADLINE_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function withPki(fn: (pki: TestPki, users: UserStore) => Promise<void>): Promise<void> {
  const pki = await makePki();
  const users = new UserStore();
  await users.set("alice", "s3cret");
  try {
    await fn(pki, users);
  } finally {
    await pki.cleanup();
  }
}

/** Connects with the toolkit's client (ApiVersions and SASL included). */
const connectKafka = (address: string, security: ConnectSecurity) =>
  KafkaConnection.open(address, { clientId: "tls-test", security });

/** ApiVersions v0 through the toolkit's client; returns the error code. */
async function clientApiVersions(conn: KafkaConnection): Promise<number> {
  return (await conn.request(18, 0, () => {})).int16();
}

/** ApiVersions v0 on an open raw connection; returns the error code. */
async function apiVersions(conn: Deno.Conn): Promise<number> {
  await conn.write(new Uint8Array([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 7, 0xff, 0xff]));
  const head = new Uint8Array(10);
  let got = 0;
  while (got < 10) {
    const n = await conn.read(head.subarray(got));
    if (n === null) throw new Error("closed");
    got += n;
  }
  const v = new DataView(head.buffer);
  assert.equal(v.getInt32(4), 7);
  return v.getInt16(8);
}

Deno.test("TLS + SASL/SCRAM: the toolkit's client authenticates; the runner's broker check lists the broker", async () => {
  await withPki(async (pki, users) => {
    const b = await startTestBroker({
      tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
      users,
    });
    try {
      for (const mechanism of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]) {
        const security = {
          protocol: "SASL_SSL",
          sasl: { mechanism, username: "alice", password: "s3cret" },
          tls: { ca: pki.pem.ca },
        };
        const conn = await within(connectKafka(`localhost:${b.port}`, security), mechanism);
        try {
          assert.equal(await clientApiVersions(conn), 0);
        } finally {
          conn.close();
        }
        const check = await checkBroker(`localhost:${b.port}`, 5000, security);
        assert.deepEqual(check.brokers, [`127.0.0.1:${b.port}`]);
      }
      assert.ok(b.logs.some((l) => /listening on .* \(TLS, SASL \(1 users\)/.test(l)));
    } finally {
      await b.close();
    }
  });
});

Deno.test("TLS negatives: wrong password, wrong CA and a plaintext client each fail clearly, nothing hangs", async () => {
  await withPki(async (pki, users) => {
    const b = await startTestBroker({
      tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
      users,
    });
    try {
      const addr = `localhost:${b.port}`;
      await assert.rejects(
        within(
          connectKafka(addr, {
            protocol: "SASL_SSL",
            sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "wrong" },
            tls: { ca: pki.pem.ca },
          }),
          "wrong password",
        ),
        /SASL_AUTHENTICATION_FAILED: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/,
      );
      await assert.rejects(
        within(
          connectKafka(addr, {
            protocol: "SASL_SSL",
            sasl: { mechanism: "PLAIN", username: "alice", password: "s3cret" },
            tls: { ca: pki.pem.otherCa },
          }),
          "wrong CA",
        ),
        /invalid peer certificate: UnknownIssuer/,
      );
      // A plaintext Kafka client on the TLS port: the broker drops it at the handshake.
      const plain = await Deno.connect({ hostname: "127.0.0.1", port: b.port });
      try {
        await assert.rejects(within(apiVersions(plain), "plaintext client"));
      } finally {
        plain.close();
      }
      assert.ok(
        b.logs.some((l) => /TLS handshake with 127\.0\.0\.1:\d+ failed/.test(l)),
        b.logs.join("\n"),
      );
      assert.ok(
        b.logs.some((l) =>
          /authentication failed for client 127\.0\.0\.1:\d+ with SASL mechanism SCRAM-SHA-256/
            .test(l)
        ),
      );
      assert.ok(!b.logs.some((l) => l.includes("wrong") && l.includes("password")));
    } finally {
      await b.close();
    }
  });
});

Deno.test("mutual TLS (--client-ca): a client certificate from the CA is required", async () => {
  await withPki(async (pki) => {
    const b = await startTestBroker({
      tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey, clientCa: pki.pem.ca },
    });
    try {
      const addr = `localhost:${b.port}`;
      const ok = await within(
        connectKafka(addr, {
          protocol: "SSL",
          tls: { ca: pki.pem.ca, cert: pki.pem.clientCert, key: pki.pem.clientKey },
        }),
        "client certificate",
      );
      try {
        assert.equal(await clientApiVersions(ok), 0);
      } finally {
        ok.close();
      }
      // No client certificate: refused at the handshake.
      await assert.rejects(
        within(connectKafka(addr, { protocol: "SSL", tls: { ca: pki.pem.ca } }), "no client cert")
          .then(
            async (c) => {
              try {
                await clientApiVersions(c);
              } finally {
                c.close();
              }
            },
          ),
        /CertificateRequired|closed|reset/i,
      );
      assert.ok(b.logs.some((l) => /listening on .* \(mutual TLS;/.test(l)));
    } finally {
      await b.close();
    }
  });
});

Deno.test("closing the TLS broker drops a client that never started its handshake", async () => {
  await withPki(async (pki) => {
    const b = await startTestBroker({ tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey } });
    const stuck = await Deno.connect({ hostname: "127.0.0.1", port: b.port });
    try {
      await new Promise((r) => setTimeout(r, 50)); // accepted by the listener
      await within(b.close(), "broker close");
      assert.equal(await within(stuck.read(new Uint8Array(8)), "client read"), null);
    } finally {
      stuck.close();
    }
  });
});
