/** Item 17 of issue 14: messages that read right. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as init } from "../../lib/cli/init.ts";
import { command as pipeline } from "../../lib/cli/pipeline.ts";
import { runCommand, withTempDir, writeApp } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";

Deno.test("sa init . does not suggest cd .; sa init dir does", async () => {
  await withTempDir(async (dir) => {
    let r = await runCommand(init, ["."], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /cd /);
    assert.match(r.stdout, /\n\nNext steps:\n {2}sa apps templates/);
    r = await runCommand(init, ["sub"], dir);
    assert.match(r.stdout, /\n\nNext steps:\n {2}cd sub\n {2}sa apps templates/);
  });
});

Deno.test("sa pipeline update ghost names it once, with the apps there are; nothing written", async () => {
  await withTempDir(async (dir) => {
    await writeApp(dir, "apps/norm.ts", "norm", []);
    await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments: []\n");
    const r = await runCommand(pipeline, ["update", "ghost"], dir);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: 'sa pipeline: no app or deployment "ghost" in this project (apps: norm); name ' +
        "one of them, or a module path like apps/ghost.ts\n",
    });
    assert.equal(await Deno.readTextFile(join(dir, "sa.yaml")), "deployments: []\n");
  });
});

Deno.test("sa pipeline view names the apps it could not load", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: gone\n    application: apps/gone.ts\n",
    );
    const r = await runCommand(pipeline, ["view"], dir);
    assert.equal(r.code, 0);
    assert.equal(
      r.stderr,
      "warning: drawing from sa.yaml only, as these apps could not be loaded:\n" +
        '  deployment "gone": apps/gone.ts: app module not found\nWrote pipeline.md\n',
    );
  });
});

Deno.test("sa up --detach with no deployments says so, not 'deployments: '", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments: []\n");
    const up = spawnSa(["up", "--detach", "--port", "0"], dir);
    const st = await up.status;
    try {
      assert.equal(st.code, 0, up.stderr());
      assert.match(
        up.stdout(),
        /^sa up: running in the background \(pid \d+\), ready in \d+ ms; broker 127\.0\.0\.1:\d+; no deployments\n {2}sa status · sa logs <name> -f · sa down\n$/,
      );
    } finally {
      const down = spawnSa(["down"], dir);
      assert.equal((await down.status).code, 0, down.stderr());
    }
  });
});
