/**
 * The real clients (kcat, confluent-kafka, kafka-python) over SASL/SCRAM + TLS against the
 * embedded broker, with a CA and certificates made for the test; and the negatives: a wrong
 * password, a wrong CA and a plaintext client on the TLS port each fail, and nothing hangs
 * (each client run is bounded by this file's own deadline).
 *
 * @module
 */
import { assert, assertEquals } from "./_assert.ts";
import { unique } from "./_kafkajs.ts";
import { type ClientName, PYTHON, requireClient } from "../../_clients.ts";
import { startTestBroker } from "../_harness.ts";
import { makePki, type TestPki } from "../../_tls.ts";
import { UserStore } from "../../../lib/broker/sasl/users.ts";

/** Every client run must end within this; a hang fails the test instead of stalling CI. */
const DEADLINE_MS = 60_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], stdin?: string): Promise<Run> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: { PYTHONDONTWRITEBYTECODE: "1" },
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill("SIGKILL");
  }, DEADLINE_MS);
  const out = await child.output();
  clearTimeout(timer);
  assert(!killed, `${cmd} ${args.join(" ")} hung: killed after ${DEADLINE_MS} ms`);
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function withSecureBroker(
  clients: ClientName[],
  fn: (address: string, pki: TestPki, logs: string[]) => Promise<void>,
): Promise<void> {
  for (const c of clients) if (!(await requireClient(c))) return;
  const pki = await makePki();
  const users = new UserStore();
  await users.set("alice", "s3cret");
  const b = await startTestBroker({
    tls: { cert: pki.pem.serverCert, key: pki.pem.serverKey },
    users,
  });
  try {
    // "localhost": the certificate names localhost and 127.0.0.1; librdkafka checks it.
    await fn(`localhost:${b.port}`, pki, b.logs);
  } finally {
    await b.close();
    await pki.cleanup();
  }
}

function kcatSecurity(pki: TestPki, mechanism: string, password = "s3cret", ca = pki.files.ca) {
  return [
    "-X",
    "security.protocol=SASL_SSL",
    "-X",
    `sasl.mechanism=${mechanism}`,
    "-X",
    "sasl.username=alice",
    "-X",
    `sasl.password=${password}`,
    "-X",
    `ssl.ca.location=${ca}`,
  ];
}

Deno.test("kcat over SASL_SSL: produce and consume with SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN", async () => {
  await withSecureBroker(["kcat"], async (address, pki) => {
    const topic = unique("kcat-secure");
    for (const mechanism of ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]) {
      const p = await run(
        "kcat",
        ["-P", "-b", address, "-t", topic, ...kcatSecurity(pki, mechanism)],
        `${mechanism}-1\n${mechanism}-2\n`,
      );
      assertEquals(p.code, 0, p.stderr);
    }
    const c = await run("kcat", [
      "-C",
      "-b",
      address,
      "-t",
      topic,
      "-o",
      "beginning",
      "-e",
      "-q",
      ...kcatSecurity(pki, "SCRAM-SHA-256"),
    ]);
    assertEquals(c.code, 0, c.stderr);
    assertEquals(c.stdout.trim().split("\n").sort(), [
      "PLAIN-1",
      "PLAIN-2",
      "SCRAM-SHA-256-1",
      "SCRAM-SHA-256-2",
      "SCRAM-SHA-512-1",
      "SCRAM-SHA-512-2",
    ]);
  });
});

Deno.test("kcat negatives: wrong password, wrong CA, plaintext on the TLS port fail with a clear error", async () => {
  await withSecureBroker(["kcat"], async (address, pki, logs) => {
    const list = (extra: string[]) => run("kcat", ["-L", "-b", address, "-m", "3", ...extra]);
    const wrongPassword = await list(kcatSecurity(pki, "SCRAM-SHA-256", "hunter2"));
    assert(
      /SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/
        .test(wrongPassword.stderr),
      wrongPassword.stderr,
    );
    const wrongCa = await list(kcatSecurity(pki, "SCRAM-SHA-256", "s3cret", pki.files.otherCa));
    assert(/certificate verify failed/.test(wrongCa.stderr), wrongCa.stderr);
    const plaintext = await list([]);
    assert(
      /Disconnected while requesting ApiVersion|Broker transport failure/.test(plaintext.stderr),
      plaintext.stderr,
    );
    for (const r of [wrongPassword, wrongCa, plaintext]) {
      assert(!/^Metadata for all topics/m.test(r.stdout), "no metadata without authentication");
    }
    assert(
      logs.some((l) =>
        /authentication failed for client 127\.0\.0\.1:\d+ with SASL mechanism SCRAM-SHA-256/.test(
          l,
        )
      ),
    );
    assert(logs.some((l) => /TLS handshake with 127\.0\.0\.1:\d+ failed/.test(l)));
    assert(!logs.some((l) => l.includes("hunter2")), "the password is never logged");
  });
});

async function python(
  address: string,
  pki: TestPki,
  client: "confluent" | "kafka-python",
  mode: "ok" | "fail",
  password = "s3cret",
  ca = pki.files.ca,
): Promise<Record<string, unknown>> {
  const script = new URL("./py/secure_check.py", import.meta.url).pathname;
  const r = await run(PYTHON, [
    script,
    address,
    unique("py"),
    client,
    mode,
    ca,
    "SCRAM-SHA-256",
    "alice",
    password,
  ]);
  if (r.code !== 0) {
    throw new Error(`secure_check.py ${client} ${mode} exited ${r.code}:\n${r.stderr}`);
  }
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!);
}

Deno.test("confluent-kafka over SASL_SSL/SCRAM-SHA-256: produce, group consume; wrong password and wrong CA fail", async () => {
  await withSecureBroker(["confluent-kafka"], async (address, pki) => {
    assertEquals(await python(address, pki, "confluent", "ok"), { produced: 50, consumed: 50 });
    const bad = await python(address, pki, "confluent", "fail", "hunter2");
    assert(
      /invalid credentials with SASL mechanism SCRAM-SHA-256/.test(String(bad.error)),
      String(bad.error),
    );
    const badCa = await python(address, pki, "confluent", "fail", "s3cret", pki.files.otherCa);
    assert(/certificate verify failed/.test(String(badCa.error)), String(badCa.error));
  });
});

Deno.test("kafka-python over SASL_SSL/SCRAM-SHA-256 (SaslHandshake v0, bare tokens): produce, group consume; wrong password fails", async () => {
  await withSecureBroker(["kafka-python"], async (address, pki, logs) => {
    assertEquals(await python(address, pki, "kafka-python", "ok"), { produced: 50, consumed: 50 });
    // After a v0 handshake a failed login has no error response (Kafka closes the connection,
    // and so does this broker); kafka-python 2.0.2 reports that as no broker available.
    const bad = await python(address, pki, "kafka-python", "fail", "hunter2");
    assertEquals(bad, { error: "NoBrokersAvailable" });
    assert(logs.some((l) => /authentication failed for client .* SCRAM-SHA-256/.test(l)));
  });
});
