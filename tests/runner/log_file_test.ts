import assert from "node:assert/strict";
import { join } from "node:path";
import { LogFile } from "../../lib/runner/log_file.ts";
import { withTempDir } from "../cli/_helpers.ts";

Deno.test("LogFile rotates at maxBytes: <name>.log.1 holds the previous lines, nothing else kept", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "app.log");
    const log = new LogFile(path, 100);
    for (let i = 0; i < 30; i++) log.line(`line ${String(i).padStart(3, "0")} ${"x".repeat(10)}`);
    log.close();
    const cur = await Deno.readTextFile(path);
    const old = await Deno.readTextFile(`${path}.1`);
    assert.ok(cur.length <= 100 && old.length <= 100, `${cur.length} ${old.length}`);
    // The newest lines, in order, with no gap between the two files.
    const lines = (old + cur).trim().split("\n");
    assert.equal(lines[lines.length - 1], `line 029 ${"x".repeat(10)}`);
    for (let i = 1; i < lines.length; i++) {
      assert.equal(Number(lines[i].slice(5, 8)), Number(lines[i - 1].slice(5, 8)) + 1);
    }
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
      "app.log",
      "app.log.1",
    ]);
  });
});

Deno.test("sa logs -f follows a log across its rotation, each line once", async () => {
  const { command: logs } = await import("../../lib/cli/logs.ts");
  const { captureEnv } = await import("../cli/_helpers.ts");
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments: []\n");
    await Deno.mkdir(join(dir, ".sa/logs"), { recursive: true });
    const log = new LogFile(join(dir, ".sa/logs/app.log"), 60);
    log.line("line 00");
    const ctl = new AbortController();
    const env = captureEnv(dir, {}, ctl.signal);
    const done = logs.run(["app", "-f"], env);
    const want = ["line 00"];
    while (!env.out.join("").includes("line 00")) await new Promise((r) => setTimeout(r, 10));
    for (let i = 1; i < 40; i++) {
      const l = `line ${String(i).padStart(2, "0")}`;
      log.line(l);
      want.push(l);
      // Let the follower catch up before the next rotation: a log rotated twice between two
      // polls loses its middle file, as with tail -F.
      if (i % 7 === 0) {
        while (!env.out.join("").includes(l)) await new Promise((r) => setTimeout(r, 20));
      }
    }
    const end = Date.now() + 5000;
    while (!env.out.join("").includes("line 39") && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
    }
    ctl.abort();
    assert.equal(await done, 0);
    log.close();
    assert.deepEqual(env.out.join("").trim().split("\n"), want);
  });
});
