import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { command } from "../../lib/cli/run.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import {
  consumeUntil,
  demoLines,
  expectedRows,
  kafka,
  produceLines,
  spawnSa,
  tempBroker,
} from "../apps/_helpers.ts";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../runner/fixtures/${name}/app.ts`, import.meta.url));
const NORMALIZE = fileURLToPath(new URL("../../apps/normalize.ts", import.meta.url));

Deno.test("sa run: an unreachable broker is reported up front with how to fix it", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  await withTempDir(async (dir) => {
    const r = await runCommand(command, [fixture("echo"), "--broker", `127.0.0.1:${port}`], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot reach the Kafka broker at 127\\.0\\.0\\.1:${port}`));
    assert.match(r.stderr, /came from --broker/);
    assert.match(r.stderr, /sa up/);
  });
});

Deno.test("sa run: a missing required variable names it and how to set it", async () => {
  await withTempDir(async (dir) => {
    const r = await runCommand(command, [fixture("outside_read"), "--no-check"], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /needs a value for:\n {2}path/);
    assert.match(r.stderr, /\.env/);
    assert.match(r.stderr, /sa\.yaml/);
  });
});

Deno.test("sa run: variables come from the environment over .env, and the app runs", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/.env`, "greeting=from-dotenv\n");
    const r1 = await runCommand(command, [fixture("echo"), "--no-check"], dir);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stderr, /greeting=from-dotenv \(\.env\)/);
    const r2 = await runCommand(command, [fixture("echo"), "--no-check"], dir, {
      greeting: "from-env",
    });
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /greeting=from-env \(env\)/);
  });
});

Deno.test("sa run: reading outside the app's folder fails with a clear message", async () => {
  await withTempDir(async (dir) => {
    const r = await runCommand(command, [fixture("outside_read"), "--no-check"], dir, {
      path: "/etc/hostname",
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /was denied read access to "\/etc\/hostname"/);
  });
});

Deno.test("sa run: a project file named by a variable (even only by its default) is readable, .env never", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/sample.txt`, "sample-content");
    await Deno.writeTextFile(`${dir}/.env.secret`, "SA_SASL_PASSWORD=hunter2\n");
    // Only the app's default names the file: its sandbox is made again with it.
    const r1 = await runCommand(command, [fixture("project_read"), "--no-check"], dir);
    // (The app's own output goes to the process's stdout; a denied read would exit 1.)
    assert.equal(r1.code, 0, r1.stderr);
    // A value from .env names it up front.
    await Deno.writeTextFile(`${dir}/.env`, "path=data/sample.txt\n");
    const r2 = await runCommand(command, [fixture("project_read"), "--no-check"], dir);
    assert.equal(r2.code, 0, r2.stderr);
    // Secrets and other apps' state are never granted, even when a variable names them.
    for (const path of [".env", ".env.secret", "../outside.txt"]) {
      const r = await runCommand(command, [fixture("project_read"), "--no-check"], dir, { path });
      assert.equal(r.code, 1, path);
      assert.match(r.stderr, /was denied read access/, path);
      assert.doesNotMatch(r.stdout + r.stderr, /hunter2/);
    }
  });
});

Deno.test("sa run: a Secret variable's value is shown as ***, from .env or by secretKey", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/.env`, "token=hush-dotenv\n");
    const r1 = await runCommand(command, [fixture("secret"), "--no-check"], dir);
    assert.equal(r1.code, 0, r1.stderr);
    assert.match(r1.stderr, /; token=\*\*\* \(\.env\)\n$/);
    assert.doesNotMatch(r1.stdout + r1.stderr, /hush/);
    // Quix's reference: the deployment names the key, the value is in .env under it.
    await Deno.writeTextFile(`${dir}/.env`, "GATEWAY_TOKEN=hush-key\n");
    await Deno.writeTextFile(
      `${dir}/sa.yaml`,
      `deployments:\n  - name: s\n    application: ${fixture("secret")}\n    variables:\n` +
        "      - {name: token, inputType: Secret, secretKey: GATEWAY_TOKEN}\n",
    );
    const r2 = await runCommand(command, [fixture("secret"), "--no-check"], dir);
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /; token=\*\*\* \(secretKey\)\n$/);
    assert.doesNotMatch(r2.stdout + r2.stderr, /hush/);
  });
});

Deno.test("sa run: fetching another host fails with a clear message", async () => {
  await withTempDir(async (dir) => {
    const r = await runCommand(command, [fixture("fetcher"), "--no-check"], dir, {
      url: "http://example.com:8080/",
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /was denied net access to "example\.com:8080"/);
    assert.match(r.stderr, /allowNet/);
  });
});

Deno.test("sa run: kill -9 normalize mid-stream, restart it: every expected row is present", async () => {
  const lines = await demoLines();
  const expected = expectedRows(lines).map((r) => JSON.stringify(r));
  const broker = await tempBroker();
  const producer = kafka(broker.address).producer();
  const procs: ReturnType<typeof spawnSa>[] = [];
  try {
    await producer.connect();
    await withTempDir(async (dir) => {
      const env = { input: "raw-k9", output: "table-k9" };
      const args = ["run", NORMALIZE, "--broker", broker.address];
      const half = Math.floor(lines.length / 2);
      await produceLines(producer, "raw-k9", "demo_stream.json", lines.slice(0, half));
      const first = spawnSa(args, dir, env);
      procs.push(first);
      // Kill it as soon as it has printed a few rows: mid-stream, before any commit is due.
      await first.waitFor((out) => out.split("\n").filter((l) => l.startsWith("[")).length >= 5);
      const killed = await first.kill("SIGKILL");
      assert.equal(killed.signal, "SIGKILL");
      await produceLines(producer, "raw-k9", "demo_stream.json", lines.slice(half));
      const second = spawnSa(args, dir, env);
      procs.push(second);
      const want = new Set(expected);
      const seen = new Set<string>();
      let count = 0;
      const values = await consumeUntil(broker.address, "table-k9", (vs) => {
        for (const v of vs.slice(count)) {
          seen.add(JSON.stringify(Object.values(JSON.parse(v))));
        }
        count = vs.length;
        return [...want].every((w) => seen.has(w));
      }, 60_000);
      // Nothing but expected rows; duplicates are allowed (at-least-once).
      for (const v of values) assert.ok(want.has(JSON.stringify(Object.values(JSON.parse(v)))));
      const stopped = await second.kill("SIGTERM");
      assert.equal(stopped.code, 0, second.stderr());
    });
  } finally {
    for (const p of procs) await p.kill("SIGKILL");
    await producer.disconnect();
    await broker.close();
  }
});
