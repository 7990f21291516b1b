/**
 * `sa broker` security flags and `sa broker users`: the users file keeps no password, the
 * broker serves TLS + SASL from files, bad flags are one-line usage errors, and the
 * non-loopback warnings say what is missing.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command } from "../../lib/cli/broker.ts";
import { captureEnv, runCommand, withTempDir } from "./_helpers.ts";
import { makePki } from "../_tls.ts";
import { KafkaConnection } from "../../lib/kafka/client/connection.ts";

async function waitFor<T>(f: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("timed out");
}

Deno.test("sa broker users add/list/remove: salted credentials only, file readable by the owner", async () => {
  await withTempDir(async (dir) => {
    let r = await runCommand(command, [
      "users",
      "add",
      "alice",
      "--users",
      "u.json",
      "--password",
      "s3cret",
    ], dir);
    assert.equal(r.code, 0, r.stderr);
    r = await runCommand(command, [
      "users",
      "add",
      "bob",
      "--users",
      "u.json",
      "--password",
      "other",
    ], dir);
    assert.equal(r.code, 0, r.stderr);
    const text = await Deno.readTextFile(join(dir, "u.json"));
    assert.doesNotMatch(text, /s3cret|other/);
    assert.match(text, /"SCRAM-SHA-256"/);
    assert.match(text, /"SCRAM-SHA-512"/);
    assert.equal((await Deno.stat(join(dir, "u.json"))).mode! & 0o777, 0o600);
    r = await runCommand(command, ["users", "list", "--users", "u.json"], dir);
    assert.equal(r.stdout, "alice\nbob\n");
    r = await runCommand(command, ["users", "remove", "bob", "--users", "u.json"], dir);
    assert.equal(r.code, 0);
    r = await runCommand(command, ["users", "list", "--users", "u.json"], dir);
    assert.equal(r.stdout, "alice\n");
    r = await runCommand(command, ["users", "remove", "bob", "--users", "u.json"], dir);
    assert.match(r.stderr, /no user "bob" in .*u\.json/);
    r = await runCommand(command, ["users", "add", "carol"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--users FILE is required/);
  });
});

Deno.test("sa broker --tls-cert --tls-key --users: serves SASL_SSL; non-loopback warnings name what is missing", async () => {
  const pki = await makePki();
  try {
    await withTempDir(async (dir) => {
      await runCommand(command, [
        "users",
        "add",
        "alice",
        "--users",
        "u.json",
        "--password",
        "s3cret",
      ], dir);
      const start = async (extra: string[]) => {
        const ctrl = new AbortController();
        const env = captureEnv(dir, {}, ctrl.signal);
        const run = command.run(["--port", "0", "--data-dir", "data", ...extra], env);
        const port = await waitFor(() => {
          const m = env.err.join("").match(/listening on [\d.]+:(\d+)/);
          return m ? Number(m[1]) : undefined;
        });
        return { port, log: () => env.err.join(""), stop: async () => (ctrl.abort(), await run) };
      };
      const tls = ["--tls-cert", pki.files.serverCert, "--tls-key", pki.files.serverKey];
      const b = await start([...tls, "--users", "u.json"]);
      const conn = await KafkaConnection.open(`localhost:${b.port}`, {
        clientId: "sa",
        security: {
          protocol: "SASL_SSL",
          sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "s3cret" },
          tls: { ca: pki.pem.ca },
        },
      });
      conn.close();
      assert.equal(await b.stop(), 0);
      assert.match(b.log(), /\(TLS, SASL \(1 users\);/);
      assert.match(b.log(), /authenticated as alice \(SCRAM-SHA-256\)/);

      // Bound to every interface: with users and TLS no warning; users without TLS warns.
      const secured = await start(["--host", "0.0.0.0", ...tls, "--users", "u.json"]);
      await secured.stop();
      assert.doesNotMatch(secured.log(), /WARN/);
      const noTls = await start(["--host", "0.0.0.0", "--users", "u.json"]);
      await noTls.stop();
      assert.match(
        noTls.log(),
        /WARN .*without TLS: SASL\/PLAIN passwords and all data cross the network unencrypted/,
      );
      const noUsers = await start(["--host", "0.0.0.0", ...tls]);
      await noUsers.stop();
      assert.match(noUsers.log(), /WARN .*no authentication; anyone who can reach/);
    });
  } finally {
    await pki.cleanup();
  }
});

Deno.test("sa broker: bad security flags are one-line usage errors", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "not.pem"), "hello");
    await Deno.writeTextFile(join(dir, "empty.json"), '{"users": {}}');
    const pki = await makePki();
    await Deno.copyFile(pki.files.serverCert, join(dir, "server.crt"));
    await Deno.copyFile(join(pki.dir, "ca.key"), join(dir, "ca.key"));
    await pki.cleanup();
    for (
      const [argv, text] of [
        [["--tls-cert", "x.crt"], "--tls-cert and --tls-key go together"],
        [["--client-ca", "ca.crt"], "--client-ca needs --tls-cert and --tls-key"],
        [["--tls-cert", "missing.crt", "--tls-key", "k"], "--tls-cert: cannot read"],
        [["--tls-cert", "not.pem", "--tls-key", "not.pem"], "--tls-cert:"],
        [["--users", "nope.json"], "--users: users file"],
        [
          ["--tls-cert", "server.crt", "--tls-key", "ca.key"],
          "the key does not match the certificate",
        ],
        [["--users", "empty.json"], "has no users"],
      ] as const
    ) {
      const r = await runCommand(command, [...argv, "--port", "0", "--data-dir", "d"], dir);
      assert.equal(r.code, 2, argv.join(" "));
      assert.ok(r.stderr.includes(text), `${argv.join(" ")}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split("\n").length, 1);
    }
  });
});
