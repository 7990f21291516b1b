/**
 * `sa run` of an app against a SASL/SCRAM + TLS broker: the settings come from `.env`, reach
 * the sandboxed app as environment variables it is granted, and the CA file outside the
 * app's folder is readable; the banner shows `***` for the password.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command } from "../../lib/cli/run.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { startTestBroker } from "../broker/_harness.ts";
import { makePki } from "../_tls.ts";
import { UserStore } from "../../lib/broker/sasl/users.ts";
import { fetchRange } from "../../lib/stream/state/_fetch_reader.ts";
import { resolveSecurity } from "../../lib/stream/kafka/security.ts";

const APPLICATION_URL = new URL("../../lib/stream/application.ts", import.meta.url).href;
const DEFINE_APP_URL = new URL("../../lib/stream/define_app.ts", import.meta.url).href;

const HELLO = `import { defineApp } from "${DEFINE_APP_URL}";
import { Application } from "${APPLICATION_URL}";
export default defineApp({
  name: "hello",
  variables: [],
  async main() {
    const app = new Application({ logLevel: "WARN" });
    const out = app.topic("hello-secure");
    const p = await app.getProducer();
    for (let i = 0; i < 3; i++) p.produce(out, { key: "k", value: { i } });
    await p.close();
  },
});
`;

async function writeHello(dir: string): Promise<void> {
  await Deno.mkdir(join(dir, "apps"));
  await Deno.writeTextFile(join(dir, "apps", "hello.ts"), HELLO);
}

/** The three values hello produced, read back over SASL_SSL. */
async function readHello(port: number, ca: string): Promise<string[]> {
  const security = resolveSecurity(
    {
      sasl: { mechanism: "SCRAM-SHA-512", username: "alice", password: "s3cret" },
      ssl: { caLocation: ca },
    },
    () => undefined,
  );
  const values: string[] = [];
  for await (
    const rs of fetchRange([`localhost:${port}`], "hello-secure", 0, 0, 3, undefined, security)
  ) {
    for (const rec of rs) values.push(new TextDecoder().decode(rec.value!));
  }
  return values;
}

Deno.test("sa run: an app produces over SASL_SSL/SCRAM-SHA-512 with settings from .env", async () => {
  const pki = await makePki();
  const users = new UserStore();
  await users.set("alice", "s3cret");
  const b = await startTestBroker({
    tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
    users,
  });
  try {
    await withTempDir(async (dir) => {
      await writeHello(dir);
      await Deno.writeTextFile(
        join(dir, ".env"),
        [
          `SA_BROKER=localhost:${b.port}`,
          "SA_SECURITY_PROTOCOL=SASL_SSL",
          "SA_SASL_MECHANISM=SCRAM-SHA-512",
          "SA_SASL_USERNAME=alice",
          "SA_SASL_PASSWORD=s3cret",
          `SA_SSL_CA_LOCATION=${pki.files.ca}`,
          "",
        ].join("\n"),
      );
      const r = await runCommand(command, ["apps/hello.ts"], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /SASL_SSL, SCRAM-SHA-512 as alice \(password \*\*\*\), CA file/);
      assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
      assert.deepEqual(await readHello(b.port, pki.files.ca), ['{"i":0}', '{"i":1}', '{"i":2}']);
    });
  } finally {
    await b.close();
    await pki.cleanup();
  }
});

Deno.test("sa run: the connection settings come from sa.yaml, the password from .env by secretKey", async () => {
  const pki = await makePki();
  const users = new UserStore();
  await users.set("alice", "s3cret");
  const b = await startTestBroker({
    tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
    users,
  });
  try {
    await withTempDir(async (dir) => {
      await writeHello(dir);
      await Deno.mkdir(join(dir, "certs"));
      await Deno.copyFile(pki.files.ca, join(dir, "certs", "ca.crt"));
      const yaml = `deployments:
  - name: hello
    application: apps/hello.ts
    variables:
      - {name: SA_SECURITY_PROTOCOL, inputType: FreeText, value: SASL_SSL}
      - {name: SA_SASL_MECHANISM, inputType: FreeText, value: SCRAM-SHA-512}
      - {name: SA_SASL_USERNAME, inputType: FreeText, value: alice}
      - {name: SA_SASL_PASSWORD, inputType: Secret, secretKey: CLUSTER_PASSWORD}
      - {name: SA_SSL_CA_LOCATION, inputType: FreeText, value: certs/ca.crt}
`;
      await Deno.writeTextFile(join(dir, "sa.yaml"), yaml);
      // Without the secret: one line naming it and where it is referred to; nothing runs.
      await Deno.writeTextFile(join(dir, ".env"), `SA_BROKER=localhost:${b.port}\n`);
      const missing = await runCommand(command, ["apps/hello.ts"], dir);
      assert.equal(missing.code, 1);
      assert.equal(
        missing.stderr,
        'sa run: deployment "hello" refers to a secret that is not set: SA_SASL_PASSWORD ' +
          "(secretKey CLUSTER_PASSWORD, sa.yaml:8:64); set it in .env or the environment\n",
      );
      await Deno.writeTextFile(
        join(dir, ".env"),
        `SA_BROKER=localhost:${b.port}\nCLUSTER_PASSWORD=s3cret\n`,
      );
      const r = await runCommand(command, ["apps/hello.ts"], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /SASL_SSL, SCRAM-SHA-512 as alice \(password \*\*\*\), CA file/);
      assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
      assert.deepEqual(await readHello(b.port, pki.files.ca), ['{"i":0}', '{"i":1}', '{"i":2}']);
      assert.equal(await Deno.readTextFile(join(dir, "sa.yaml")), yaml);
    });
  } finally {
    await b.close();
    await pki.cleanup();
  }
});
