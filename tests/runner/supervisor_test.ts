import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { sandboxGrant } from "../../lib/runner/permissions.ts";
import {
  ConfigError,
  type DeploymentSpec,
  type DeploymentStatus,
  Supervisor,
} from "../../lib/runner/supervisor.ts";
import { Prefixer } from "../../lib/runner/prefix.ts";

const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/${name}/app.ts`, import.meta.url));

function spec(name: string, app: string, resolve?: DeploymentSpec["resolve"]): DeploymentSpec {
  const entry = fixture(app);
  return {
    name,
    entry,
    grant: sandboxGrant({ entry, brokers: ["127.0.0.1:9"] }),
    resolve: resolve ?? (() => ({ vars: {}, env: {} })),
  };
}

function recorder() {
  const lines: string[] = [];
  const events: string[] = [];
  const statuses: DeploymentStatus[][] = [];
  return {
    lines,
    events,
    statuses,
    onLine: (name: string, stream: string, line: string) =>
      lines.push(`${name}/${stream}: ${line}`),
    onEvent: (name: string, level: string, msg: string) => events.push(`${name} ${level} ${msg}`),
    onStatus: (s: DeploymentStatus[]) => statuses.push(s),
  };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("supervisor: a crashing deployment is reported and restarted with growing backoff", async () => {
  const rec = recorder();
  const sup = new Supervisor({ ...rec, initialBackoffMs: 20, maxBackoffMs: 1000 });
  await sup.start([spec("crasher", "crash"), spec("steady", "forever")]);
  await until(() => (sup.statuses()[0].restarts >= 2));
  await sup.stop();
  const crashes = rec.events.filter((e) => e.startsWith("crasher ERROR crashed: "));
  assert.ok(crashes.length >= 2, rec.events.join("\n"));
  assert.match(crashes[0], /boom; restarting in 0\.0 s/);
  assert.ok(rec.lines.includes("crasher/stdout: starting and crashing"));
  assert.ok(rec.lines.includes("steady/stdout: running"));
  assert.ok(rec.lines.includes("steady/stdout: stopped cleanly"), rec.lines.join("\n"));
  assert.deepEqual(sup.statuses().map((s) => s.state), ["stopped", "stopped"]);
});

Deno.test("supervisor: a configuration error fails the deployment once, without restarts", async () => {
  const rec = recorder();
  const sup = new Supervisor({ ...rec, initialBackoffMs: 10 });
  await sup.start([
    spec("echo", "echo", () => {
      throw new ConfigError("required variable greeting has no value");
    }),
  ]);
  await sup.settled();
  const [s] = sup.statuses();
  assert.equal(s.state, "failed");
  assert.equal(s.restarts, 0);
  assert.match(s.lastError!, /greeting/);
  assert.ok(rec.events.some((e) => e.includes("cannot start: required variable greeting")));
});

Deno.test("supervisor: an app whose main returns is completed, not restarted", async () => {
  const rec = recorder();
  const sup = new Supervisor({ ...rec, initialBackoffMs: 10 });
  await sup.start([spec("echo", "echo", () => ({ vars: { greeting: "yo" }, env: {} }))]);
  await sup.settled();
  assert.equal(sup.statuses()[0].state, "completed");
  assert.ok(rec.lines.some((l) => l.startsWith("echo/stdout: greeting=yo")));
  assert.ok(rec.statuses.length >= 3);
});

Deno.test("prefixer: pads names and colours only when asked", () => {
  const plain = new Prefixer(["replay", "normalize"], false);
  assert.equal(plain.line("replay", "x"), "replay    | x");
  const coloured = new Prefixer(["replay", "normalize"], true);
  assert.equal(coloured.line("normalize", "y"), "\x1b[35mnormalize |\x1b[0m y");
});

Deno.test("supervisor: kill() ends an app that ignores its stop signal, at once", async () => {
  const rec = recorder();
  const sup = new Supervisor({ ...rec, stopTimeoutMs: 30_000 });
  await sup.start([spec("stubborn", "stubborn")]);
  await until(() => rec.lines.includes("stubborn/stdout: ignoring the stop signal"));
  const stopping = sup.stop();
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  sup.kill();
  await stopping;
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(sup.statuses()[0].state, "stopped");
  assert.ok(
    rec.events.some((e) => e.includes(`app "stubborn" was terminated`)),
    rec.events.join("\n"),
  );
});

Deno.test("supervisor: a file that only the resolved values name is granted by loading the app again", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sa_sup_read_" });
  try {
    await Deno.mkdir(`${dir}/data`);
    await Deno.writeTextFile(`${dir}/data/sample.txt`, "sample-content");
    const rec = recorder();
    const sup = new Supervisor({ ...rec, initialBackoffMs: 10 });
    await sup.start([
      spec("reader", "project_read", () => ({
        vars: { path: "data/sample.txt" },
        env: { SA_PROJECT_DIR: dir },
        read: [`${dir}/data/sample.txt`],
      })),
    ]);
    await until(() =>
      sup.statuses()[0].state !== "running" && sup.statuses()[0].state !== "starting"
    );
    await sup.stop();
    assert.ok(rec.lines.includes("reader/stdout: sample-content"), rec.events.join("\n"));
    assert.equal(sup.statuses()[0].state, "completed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
