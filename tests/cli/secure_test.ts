/**
 * `sa topics`, `sa produce` and `sa consume` against a SASL/SCRAM + TLS broker, configured by
 * the project's `.env` and the environment; and their clear one-line failures.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as produce } from "../../lib/cli/produce.ts";
import { command as consume } from "../../lib/cli/consume.ts";
import { command as topics } from "../../lib/cli/topics.ts";
import { command as lag } from "../../lib/cli/lag.ts";
import { command as exportCmd } from "../../lib/cli/export.ts";
import { command as importCmd } from "../../lib/cli/import.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { startTestBroker } from "../broker/_harness.ts";
import { makePki, type TestPki } from "../_tls.ts";
import { UserStore } from "../../lib/broker/sasl/users.ts";

/** The whole test must finish within this: nothing may hang on a refused connection. */
const DEADLINE_MS = 60_000;

async function withSecure(
  fn: (dir: string, address: string, pki: TestPki) => Promise<void>,
): Promise<void> {
  const pki = await makePki();
  const users = new UserStore();
  await users.set("alice", "s3cret");
  const b = await startTestBroker({
    tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
    users,
  });
  const timer = setTimeout(() => {
    throw new Error(`test still running after ${DEADLINE_MS} ms`);
  }, DEADLINE_MS);
  try {
    await withTempDir(async (dir) => {
      await Deno.copyFile(pki.files.ca, join(dir, "ca.crt"));
      await Deno.writeTextFile(
        join(dir, ".env"),
        [
          `SA_BROKER=localhost:${b.port}`,
          "SA_SECURITY_PROTOCOL=SASL_SSL",
          "SA_SASL_MECHANISM=SCRAM-SHA-256",
          "SA_SASL_USERNAME=alice",
          "SA_SASL_PASSWORD=s3cret",
          "SA_SSL_CA_LOCATION=ca.crt",
          "",
        ].join("\n"),
      );
      await fn(dir, `localhost:${b.port}`, pki);
    });
  } finally {
    clearTimeout(timer);
    await b.close();
    await pki.cleanup();
  }
}

Deno.test("sa topics, sa produce, sa consume over SASL_SSL/SCRAM-SHA-256 from .env", async () => {
  await withSecure(async (dir) => {
    let r = await runCommand(topics, ["create", "secure-readings", "-p", "2"], dir);
    assert.equal(r.code, 0, r.stderr);
    r = await runCommand(topics, ["list"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /secure-readings/);
    await Deno.writeTextFile(join(dir, "in.jsonl"), '{"t": 1}\n{"t": 2}\n');
    r = await runCommand(produce, ["secure-readings", "-k", "k", "-f", "in.jsonl"], dir);
    assert.equal(r.code, 0, r.stderr);
    r = await runCommand(consume, ["secure-readings", "--from-beginning", "-n", "2"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l).value), [
      { t: 1 },
      { t: 2 },
    ]);
    assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
  });
});

Deno.test("sa topics: wrong password, wrong CA, plaintext on the TLS port and bad settings fail in one line", async () => {
  await withSecure(async (dir, _address, pki) => {
    // The environment overrides .env.
    let r = await runCommand(topics, ["list"], dir, { SA_SASL_PASSWORD: "hunter2" });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^sa topics: broker localhost:\d+ refused the credentials \(SASL_SSL, SCRAM-SHA-256 as alice \(password \*\*\*\), CA file\): .*\n$/,
    );
    assert.doesNotMatch(r.stderr, /hunter2/);

    r = await runCommand(topics, ["list"], dir, { SA_SSL_CA_LOCATION: pki.files.otherCa });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^sa topics: TLS with the broker at localhost:\d+ failed .*certificate.*\n$/i,
    );

    r = await runCommand(topics, ["list"], dir, {
      SA_SECURITY_PROTOCOL: "PLAINTEXT",
      SA_SASL_MECHANISM: "",
      SA_SASL_USERNAME: "",
      SA_SASL_PASSWORD: "",
      SA_SSL_CA_LOCATION: "",
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SASL credentials are set but the security protocol is PLAINTEXT/);

    await Deno.writeTextFile(join(dir, ".env"), `SA_BROKER=${_address}\n`);
    r = await runCommand(topics, ["list"], dir);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^sa topics: the broker at localhost:\d+ closed the connection: is it a TLS or SASL listener\? Set SA_SECURITY_PROTOCOL .*\n$/,
    );

    r = await runCommand(topics, ["list"], dir, { SA_SECURITY_PROTOCOL: "SASL_SSL" });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SASL_SSL needs sasl\.mechanism \(or SA_SASL_MECHANISM\)/);
  });
});

Deno.test("sa lag (seconds included), sa export and sa import over SASL_SSL from .env", async () => {
  await withSecure(async (dir) => {
    await Deno.writeTextFile(join(dir, "in.jsonl"), '{"t": 1}\n{"t": 2}\n{"t": 3}\n');
    let r = await runCommand(produce, ["secure-lag", "-k", "k", "-f", "in.jsonl"], dir);
    assert.equal(r.code, 0, r.stderr);
    r = await runCommand(consume, ["secure-lag", "--from-beginning", "-n", "1", "-g", "g1"], dir);
    assert.equal(r.code, 0, r.stderr);
    // Exact lag in seconds reads the record at the committed offset: a secured read too.
    r = await runCommand(lag, ["g1", "--samples", "1"], dir);
    assert.equal(r.stderr, "");
    const row = r.stdout.split("\n").find((l) => l.includes("secure-lag"));
    assert.ok(row, r.stdout);
    assert.match(r.stdout, /LAG_S/);
    assert.match(row, /\s2\s+\d+(\.\d+)?s?\s/, row);
    r = await runCommand(exportCmd, ["secure-lag"], dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 3);
    await Deno.writeTextFile(join(dir, "out.ndjson"), r.stdout);
    r = await runCommand(topics, ["create", "secure-copy"], dir);
    assert.equal(r.code, 0, r.stderr);
    r = await runCommand(importCmd, ["secure-copy", "-f", "out.ndjson"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Imported 3 record/);
    assert.doesNotMatch(r.stdout + r.stderr, /s3cret/);
  });
});
