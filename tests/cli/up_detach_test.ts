/** Item 5 of issue 14: `sa up --detach` names the real cause when the background start fails. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";

Deno.test("sa up --detach on a busy port says so, with the fix, and leaves no pid file", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments: []\n");
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (busy.addr as Deno.NetAddr).port;
    try {
      const p = spawnSa(["up", "--detach", "--port", String(port)], dir);
      const st = await p.status;
      assert.equal(st.code, 1);
      assert.equal(p.stdout(), "");
      assert.equal(
        p.stderr(),
        `sa up: the background sa up failed: port ${port} is already in use (another sa up, ` +
          `or a Kafka broker?): stop it, or use --port 0 for a free port, or --broker ` +
          `localhost:${port} to use that broker\n`,
      );
    } finally {
      busy.close();
    }
    await assert.rejects(Deno.stat(join(dir, ".sa/sa.pid")), Deno.errors.NotFound);
    const status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
    assert.equal(status.state, "stopped");
  });
});

Deno.test("sa up: a missing module or an invalid topic name is refused before start at sa.yaml:line:col", async () => {
  const { command: up } = await import("../../lib/cli/up.ts");
  const { runCommand } = await import("./_helpers.ts");
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: ghost\n    application: apps/ghost.ts\n",
    );
    let r = await runCommand(up, ["--port", "0"], dir);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: 'sa up: sa.yaml:3:18: deployment "ghost": application "apps/ghost.ts" not found ' +
        "(apps/ghost.ts does not exist)\n",
    });
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      `deployments:
  - name: norm
    application: apps/norm.ts
    variables:
      - name: output
        inputType: OutputTopic
        value: table data
`,
    );
    r = await runCommand(up, ["--port", "0"], dir);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: 'sa up: sa.yaml:7:16: deployment "norm": variable "output": "table data" is not a ' +
        'valid topic name; topic names use only letters, digits, ".", "_" and "-"\n',
    });
    // Refused before anything was written.
    await assert.rejects(Deno.stat(join(dir, ".sa")), Deno.errors.NotFound);
  });
});
