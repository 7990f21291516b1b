import assert from "node:assert/strict";
import { join } from "node:path";
import { command as down } from "../../lib/cli/down.ts";
import { command as status } from "../../lib/cli/status.ts";
import { command as logs } from "../../lib/cli/logs.ts";
import { saPaths, writeStatusSync } from "../../lib/runner/project_state.ts";
import { captureEnv, runCommand, withTempDir } from "./_helpers.ts";

/** A pid that is not running: a child that already exited. */
async function deadPid(): Promise<number> {
  const child = new Deno.Command("true", { stdout: "null", stderr: "null" }).spawn();
  await child.status;
  return child.pid;
}

Deno.test("sa down / sa status when nothing runs", async () => {
  await withTempDir(async (dir) => {
    const d = await runCommand(down, [], dir);
    assert.equal(d.code, 0);
    assert.match(d.stdout, /nothing to stop/);
    const s = await runCommand(status, [], dir);
    assert.equal(s.code, 3);
    assert.match(s.stdout, /sa up: not running/);
  });
});

Deno.test("sa down / sa status with a stale pid file", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, ".sa"));
    const pid = await deadPid();
    await Deno.writeTextFile(join(dir, ".sa/sa.pid"), `${pid}\n`);
    const s = await runCommand(status, [], dir);
    assert.equal(s.code, 3);
    assert.equal(
      s.stdout,
      `sa up: not running; .sa/sa.pid names process ${pid}, which is gone (a killed run); ` +
        "`sa up` starts it again\n",
    );
    // With the status file of a run that was killed while running.
    await Deno.writeTextFile(
      join(dir, ".sa/status.json"),
      JSON.stringify({
        pid,
        pipeline: "sa.yaml",
        broker: { address: "", embedded: true },
        startedAt: "2026-01-01T00:00:00.000Z",
        detached: true,
        state: "running",
        deployments: [],
        warnings: [],
      }),
    );
    const s2 = await runCommand(status, [], dir);
    assert.equal(
      s2.stdout,
      `sa up: not running; the last run (pid ${pid}, started 2026-01-01T00:00:00.000Z) ended ` +
        "without a clean stop (killed?); `sa up` starts it again and the apps resume from " +
        "their committed offsets\n",
    );
    const d = await runCommand(down, [], dir);
    assert.equal(d.code, 0);
    assert.match(d.stdout, /was not running; removed the stale pid file/);
    await assert.rejects(Deno.stat(join(dir, ".sa/sa.pid")), Deno.errors.NotFound);
  });
});

Deno.test("sa logs: prints a log, its tail, and lists the names it knows", async () => {
  await withTempDir(async (dir) => {
    const none = await runCommand(logs, ["normalize"], dir);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no logs in .*: start the pipeline with `sa up`/);
    await Deno.mkdir(join(dir, ".sa/logs"), { recursive: true });
    await Deno.writeTextFile(join(dir, ".sa/logs/normalize.log"), "a\nb\nc\n");
    await Deno.writeTextFile(join(dir, ".sa/logs/replay.log"), "r\n");
    assert.equal((await runCommand(logs, ["normalize"], dir)).stdout, "a\nb\nc\n");
    assert.equal((await runCommand(logs, ["normalize", "-n", "2"], dir)).stdout, "b\nc\n");
    const unknown = await runCommand(logs, ["nope"], dir);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no log named "nope"; available: normalize, replay/);
    const missing = await runCommand(logs, [], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /available: normalize, replay/);
  });
});

Deno.test("sa logs -f follows appended lines until stopped", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, ".sa/logs"), { recursive: true });
    const file = join(dir, ".sa/logs/app.log");
    await Deno.writeTextFile(file, "first\n");
    const ctl = new AbortController();
    const env = captureEnv(dir, {}, ctl.signal);
    const out = env.out;
    const running = logs.run(["app", "-f"], env);
    await new Promise((r) => setTimeout(r, 100));
    await Deno.writeTextFile(file, "second\n", { append: true });
    const end = Date.now() + 5000;
    while (!out.join("").includes("second") && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
    }
    ctl.abort();
    assert.equal(await running, 0);
    assert.equal(out.join(""), "first\nsecond\n");
  });
});

Deno.test("sa status prints one aligned row per deployment, restarts right-aligned", async () => {
  await withTempDir(async (dir) => {
    const paths = saPaths(dir);
    await Deno.mkdir(join(dir, ".sa"), { recursive: true });
    // This test process stands in for a running `sa up`; no broker address: nothing to probe.
    await Deno.writeTextFile(paths.pidFile, `${Deno.pid}\n`);
    const now = new Date().toISOString();
    writeStatusSync(paths, {
      pid: Deno.pid,
      pipeline: join(dir, "sa.yaml"),
      broker: { address: "", embedded: true },
      startedAt: now,
      detached: true,
      state: "running",
      deployments: [
        { name: "replay", state: "running", restarts: 0, since: now },
        { name: "normalize", state: "backoff", restarts: 12, since: now, lastError: "boom\nstack" },
      ],
      warnings: [],
    });
    const s = await runCommand(status, [], dir);
    assert.equal(s.code, 0);
    const table = s.stdout.slice(s.stdout.indexOf("DEPLOYMENT"));
    assert.equal(
      table,
      "DEPLOYMENT  STATE    RESTARTS  SINCE  LAST ERROR\n" +
        "replay      running         0  0s\n" +
        "normalize   backoff        12  0s     boom\n",
    );
  });
});
