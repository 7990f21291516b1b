import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { command as up } from "../../lib/cli/up.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A copy of this repo's episode-1 project (sa.yaml, apps) with a deno.json like `sa init`'s. */
async function copyProject(dir: string): Promise<void> {
  await Deno.mkdir(join(dir, "apps"));
  for (
    const f of [
      "apps/replay.ts",
      "apps/normalize.ts",
      "demo_stream.json",
      "sa.yaml",
      // Episode 2/3 deployments (declared Stopped; compose still builds them).
      "apps/odometer.ts",
      "apps/windows.ts",
      "apps/normalize_windowed.ts",
      "apps/downsampling.ts",
    ]
  ) {
    await Deno.copyFile(join(ROOT, f), join(dir, f));
  }
  const repo = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const imports: Record<string, string> = {
    "@sa/toolkit": new URL("../../mod.ts", import.meta.url).href,
  };
  for (const [k, v] of Object.entries(repo.imports as Record<string, string>)) {
    if (v.startsWith("npm:")) imports[k] = v;
  }
  await Deno.writeTextFile(
    join(dir, "deno.json"),
    JSON.stringify({ imports, nodeModulesDir: "none", lock: false }),
  );
}

const rowLines = (out: string) => out.split("\n").filter((l) => /^normalize \| \[\d+,/.test(l));

Deno.test("sa up: shows normalized rows within 15 s, then stops cleanly on Ctrl+C", async () => {
  await withTempDir(async (dir) => {
    await copyProject(dir);
    const proc = spawnSa(["up", "--port", "0"], dir);
    try {
      await proc.waitFor((_out, err) =>
        /sa +\| ready in \d+ ms: broker 127\.0\.0\.1:\d+/.test(err)
      );
      await proc.waitFor((out) => rowLines(out).length >= 3, 15_000);
      const row = JSON.parse(rowLines(proc.stdout())[0].replace(/^normalize \| /, ""));
      assert.equal(row.length, 5);
      assert.ok(row[4] > 50);
      const status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
      assert.equal(status.state, "running");
      assert.deepEqual(status.deployments.map((d: { name: string }) => d.name), [
        "replay",
        "normalize",
      ]);
    } finally {
      // A terminal Ctrl+C reaches sa twice (the process group, then deno task forwarding it):
      // the echo must not turn the graceful stop into a forced one.
      Deno.kill(proc.pid, "SIGINT");
      await new Promise((r) => setTimeout(r, 30));
      const st = await proc.kill("SIGINT");
      assert.equal(st.code, 0, proc.stderr());
    }
    assert.doesNotMatch(proc.stderr(), /forced/);
    assert.match(proc.stderr(), /stopping: apps first/);
    assert.match(proc.stderr(), /sa +\| stopped/);
    await assert.rejects(Deno.stat(join(dir, ".sa/sa.pid")), Deno.errors.NotFound);
    const status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
    assert.equal(status.state, "stopped");
    assert.ok((await Deno.readTextFile(join(dir, ".sa/logs/normalize.log"))).includes("["));
  });
});

Deno.test("sa up --detach, sa status, sa logs, sa down", async () => {
  await withTempDir(async (dir) => {
    await copyProject(dir);
    // A misspelt variable: the warning must reach the terminal, not only .sa/logs/up.log.
    const yaml = await Deno.readTextFile(join(dir, "sa.yaml"));
    const typo = '      - name: sped\n        value: "2"\n';
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      yaml.replace(/( {2}- name: replay\n[\s\S]*? {4}variables:\n)/, `$1${typo}`),
    );
    let pid = 0;
    try {
      const started = spawnSa(["up", "--port", "0", "--detach"], dir);
      const st = await started.status;
      assert.equal(st.code, 0, started.stdout() + started.stderr());
      assert.match(
        started.stderr(),
        /^sa up: warning: deployment "replay": variable "sped" is not declared by its app/m,
      );
      const m = /running in the background \(pid (\d+)\)/.exec(started.stdout());
      assert.ok(m, started.stdout());
      pid = Number(m[1]);
      assert.equal((await Deno.readTextFile(join(dir, ".sa/sa.pid"))).trim(), String(pid));

      const status = spawnSa(["status"], dir);
      assert.equal((await status.status).code, 0, status.stderr());
      assert.match(status.stdout(), /sa up: running \(pid \d+, background/);
      assert.match(status.stdout(), /broker: 127\.0\.0\.1:\d+ \(embedded\) reachable/);
      assert.match(status.stdout(), /normalize +running +0/);

      // Rows reach the normalize log file.
      const deadline = Date.now() + 15_000;
      let log = "";
      while (!/^\[\d+,/m.test(log) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        const logs = spawnSa(["logs", "normalize", "-n", "50"], dir);
        await logs.status;
        log = logs.stdout();
      }
      assert.match(log, /^\[\d+,/m);

      const again = spawnSa(["up", "--port", "0"], dir);
      assert.equal((await again.status).code, 1);
      assert.match(
        again.stderr(),
        /already running for this project \(pid \d+\); stop it with `sa down`/,
      );

      const down = spawnSa(["down"], dir);
      assert.equal((await down.status).code, 0, down.stderr());
      assert.match(down.stdout(), /sa down: stopped/);
      pid = 0;

      const after = spawnSa(["status"], dir);
      assert.equal((await after.status).code, 3);
      assert.match(after.stdout(), /sa up: not running/);
    } finally {
      if (pid) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
    }
  });
});

Deno.test("sa up: no pipeline file is a clear error", async () => {
  await withTempDir(async (dir) => {
    const r = await runCommand(up, [], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no sa\.yaml \(or quix\.yaml\) in /);
  });
});

Deno.test("sa up: a busy port is a clear error that suggests --port 0", async () => {
  await withTempDir(async (dir) => {
    await copyProject(dir);
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (l.addr as Deno.NetAddr).port;
      const r = await runCommand(up, ["--port", String(port)], dir);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`port ${port} is already in use`));
      assert.match(r.stderr, /--port 0/);
    } finally {
      l.close();
    }
  });
});

Deno.test("sa up --docker writes compose/ and hands over to docker-compose", async () => {
  await withTempDir(async (dir) => {
    await copyProject(dir);
    const r = await runCommand(up, ["--docker"], dir);
    for (const f of ["docker-compose.yml", "replay.Dockerfile", "normalize.Dockerfile"]) {
      assert.ok((await Deno.stat(join(dir, "compose", f))).isFile, f);
    }
    if (r.code !== 0) {
      // No Docker engine (or no compose tool) here: the message says what to do instead.
      assert.match(r.stderr, /sa up` without --docker|runs the same pipeline with no Docker/);
    }
  });
});
