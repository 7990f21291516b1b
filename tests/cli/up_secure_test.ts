/**
 * `sa up --broker` against a SASL/SCRAM + TLS broker, its settings from the environment: the
 * topics are created, replay and normalize run in their sandboxes, rows come out.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";
import { startTestBroker } from "../broker/_harness.ts";
import { makePki } from "../_tls.ts";
import { UserStore } from "../../lib/broker/sasl/users.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("sa up --broker: the episode-1 pipeline over SASL_SSL/SCRAM-SHA-256", async () => {
  const pki = await makePki();
  const users = new UserStore();
  await users.set("alice", "s3cret");
  const b = await startTestBroker({
    tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
    users,
  });
  try {
    await withTempDir(async (dir) => {
      await Deno.mkdir(join(dir, "apps"));
      for (const f of ["apps/replay.ts", "apps/normalize.ts", "demo_stream.json"]) {
        await Deno.copyFile(join(ROOT, f), join(dir, f));
      }
      // This repo's sa.yaml: later episodes' deployments are declared Stopped.
      const yaml = await Deno.readTextFile(join(ROOT, "sa.yaml"));
      await Deno.writeTextFile(join(dir, "sa.yaml"), yaml);
      const proc = spawnSa(["up", "--broker", `localhost:${b.port}`], dir, {
        SA_SECURITY_PROTOCOL: "SASL_SSL",
        SA_SASL_MECHANISM: "SCRAM-SHA-256",
        SA_SASL_USERNAME: "alice",
        SA_SASL_PASSWORD: "s3cret",
        SA_SSL_CA_LOCATION: pki.files.ca,
      });
      try {
        await proc.waitFor(
          (out) => out.split("\n").filter((l) => /^normalize \| \[\d+,/.test(l)).length >= 3,
          30_000,
        );
      } finally {
        const st = await proc.kill("SIGINT");
        assert.equal(st.code, 0, proc.stderr());
      }
      assert.doesNotMatch(proc.stdout() + proc.stderr(), /s3cret/);
      assert.ok(b.logs.some((l) => /authenticated as alice \(SCRAM-SHA-256\)/.test(l)));
    });
  } finally {
    await b.close();
    await pki.cleanup();
  }
});

Deno.test("sa up --broker: the connection settings in sa.yaml, the password from .env by secretKey", async () => {
  const pki = await makePki();
  const users = new UserStore();
  await users.set("alice", "s3cret");
  const b = await startTestBroker({
    tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
    users,
  });
  try {
    await withTempDir(async (dir) => {
      await Deno.mkdir(join(dir, "apps"));
      for (const f of ["apps/replay.ts", "apps/normalize.ts", "demo_stream.json"]) {
        await Deno.copyFile(join(ROOT, f), join(dir, f));
      }
      await Deno.copyFile(pki.files.ca, join(dir, "ca.crt"));
      // Every deployment of this repo's sa.yaml gets the settings, as a student would add them.
      const settings = `    variables:
      - {name: SA_SECURITY_PROTOCOL, inputType: FreeText, value: SASL_SSL}
      - {name: SA_SASL_MECHANISM, inputType: FreeText, value: SCRAM-SHA-256}
      - {name: SA_SASL_USERNAME, inputType: FreeText, value: alice}
      - {name: SA_SASL_PASSWORD, inputType: Secret, secretKey: CLUSTER_PASSWORD}
      - {name: SA_SSL_CA_LOCATION, inputType: FreeText, value: ca.crt}
`;
      const yaml = (await Deno.readTextFile(join(ROOT, "sa.yaml"))).replaceAll(
        "    variables:\n",
        settings,
      );
      await Deno.writeTextFile(join(dir, "sa.yaml"), yaml);
      await Deno.writeTextFile(join(dir, ".env"), "CLUSTER_PASSWORD=s3cret\n");
      const proc = spawnSa(["up", "--broker", `localhost:${b.port}`, "--no-console"], dir);
      try {
        await proc.waitFor(
          (out) => out.split("\n").filter((l) => /^normalize \| \[\d+,/.test(l)).length >= 3,
          30_000,
        );
      } finally {
        const st = await proc.kill("SIGINT");
        assert.equal(st.code, 0, proc.stderr());
      }
      assert.doesNotMatch(proc.stdout() + proc.stderr(), /s3cret/);
      assert.doesNotMatch(proc.stderr(), /not declared by its app/);
      assert.ok(b.logs.some((l) => /authenticated as alice \(SCRAM-SHA-256\)/.test(l)));
    });
  } finally {
    await b.close();
    await pki.cleanup();
  }
});

Deno.test("sa up (embedded broker): sa.yaml's connection settings are not used, and it says so once", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "apps"));
    for (const f of ["apps/replay.ts", "apps/normalize.ts", "demo_stream.json"]) {
      await Deno.copyFile(join(ROOT, f), join(dir, f));
    }
    const yaml = (await Deno.readTextFile(join(ROOT, "sa.yaml"))).replaceAll(
      "    variables:\n",
      `    variables:
      - {name: SA_SECURITY_PROTOCOL, inputType: FreeText, value: SASL_SSL}
      - {name: SA_SASL_MECHANISM, inputType: FreeText, value: SCRAM-SHA-256}
      - {name: SA_SASL_USERNAME, inputType: FreeText, value: alice}
      - {name: SA_SASL_PASSWORD, inputType: Secret, secretKey: CLUSTER_PASSWORD}
`,
    );
    await Deno.writeTextFile(join(dir, "sa.yaml"), yaml);
    const proc = spawnSa(["up", "--port", "0", "--no-console"], dir);
    try {
      await proc.waitFor(
        (out) => out.split("\n").filter((l) => /^normalize \| \[\d+,/.test(l)).length >= 3,
        30_000,
      );
    } finally {
      const st = await proc.kill("SIGINT");
      assert.equal(st.code, 0, proc.stderr());
    }
    const notes = proc.stderr().split("\n").filter((l) =>
      /connection settings in sa\.yaml/.test(l)
    );
    assert.deepEqual(notes, [
      "sa        | note: the connection settings in sa.yaml (SA_SECURITY_PROTOCOL, " +
      "SA_SASL_MECHANISM, SA_SASL_USERNAME, SA_SASL_PASSWORD) apply with --broker; the " +
      "embedded broker is plaintext on loopback",
    ]);
  });
});
