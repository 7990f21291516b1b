/**
 * Item 4 of issue 14: `sa stop|start|restart <deployment>` while `sa up` runs, and `sa up`
 * applying changes of sa.yaml to the running pipeline.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEFINE_APP_URL, withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";

const TICKER = `import { defineApp } from "${DEFINE_APP_URL}";
export default defineApp({
  name: "ticker",
  variables: [{ name: "label", inputType: "FreeText", defaultValue: "x" }],
  async main(vars, signal) {
    while (!signal.aborted) {
      console.log("tick " + vars.label);
      await new Promise((r) => setTimeout(r, 50));
    }
  },
});
`;

const yaml = (deployments: [string, string][]) =>
  "deployments:\n" +
  deployments.map(([name, label]) =>
    `  - name: ${name}\n    application: apps/ticker.ts\n    variables:\n` +
    `      - name: label\n        inputType: FreeText\n        value: ${label}\n`
  ).join("");

async function sa(args: string[], cwd: string) {
  const p = spawnSa(args, cwd);
  const st = await p.status;
  return { code: st.code, stdout: p.stdout(), stderr: p.stderr() };
}

const ticks = (out: string, label: string) =>
  out.split("\n").filter((l) => new RegExp(`^\\w+ +\\| tick ${label}$`).test(l)).length;

Deno.test("sa stop/start/restart one deployment while sa up runs; sa.yaml changes are applied live", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "apps"));
    await Deno.writeTextFile(join(dir, "apps/ticker.ts"), TICKER);
    await Deno.writeTextFile(join(dir, "sa.yaml"), yaml([["a", "A"], ["b", "B"]]));
    const up = spawnSa(["up", "--port", "0"], dir);
    try {
      await up.waitFor((out, err) => /ready in/.test(err) && ticks(out, "A") > 0);

      let r = await sa(["stop", "a"], dir);
      assert.deepEqual(r, { code: 0, stdout: "stopped a\n", stderr: "" });
      const stoppedAt = ticks(up.stdout(), "A");
      const bAt = ticks(up.stdout(), "B");
      await up.waitFor((out) => ticks(out, "B") >= bAt + 3);
      assert.equal(ticks(up.stdout(), "A"), stoppedAt, "a stays stopped");
      let status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
      assert.deepEqual(
        status.deployments.map((d: { name: string; state: string }) => [d.name, d.state]),
        [["a", "stopped"], ["b", "running"]],
      );

      r = await sa(["start", "a"], dir);
      assert.deepEqual(r, { code: 0, stdout: "started a\n", stderr: "" });
      await up.waitFor((out) => ticks(out, "A") > stoppedAt);

      r = await sa(["restart", "b"], dir);
      assert.deepEqual(r, { code: 0, stdout: "restarted b\n", stderr: "" });

      r = await sa(["stop", "ghost"], dir);
      assert.deepEqual(r, {
        code: 1,
        stdout: "",
        stderr: 'sa stop: no deployment "ghost" in the running pipeline (deployments: a, b)\n',
      });

      // An edit of sa.yaml: b gets a new value (restart), c is added, a is removed.
      await Deno.writeTextFile(join(dir, "sa.yaml"), yaml([["b", "B2"], ["c", "C"]]));
      await up.waitFor((_o, err) => /sa\.yaml changed:/.test(err), 20_000);
      assert.match(up.stderr(), /sa +\| sa\.yaml changed: started c; restarted b; stopped a\n/);
      await up.waitFor((out) => ticks(out, "B2") > 0 && ticks(out, "C") > 0);
      status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
      assert.deepEqual(
        status.deployments.map((d: { name: string; state: string }) => [d.name, d.state]),
        [["b", "running"], ["c", "running"]],
      );

      // A broken edit changes nothing.
      await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments:\n\t- name: a\n");
      await up.waitFor((_o, err) => /changed but cannot be used/.test(err), 20_000);
      assert.match(
        up.stderr(),
        /sa +\| sa\.yaml changed but cannot be used, so nothing changes: sa\.yaml:2:1: a tab is used for indentation; YAML needs spaces\n/,
      );
    } finally {
      const st = await up.kill("SIGINT");
      assert.equal(st.code, 0, up.stderr());
    }
    const r = await sa(["restart", "b"], dir);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr:
        "sa restart: sa up is not running for this project; start the pipeline with `sa up`\n",
    });
  });
});

Deno.test("sa up in a folder too deep for a Unix socket still runs, and says stop/start are unavailable", async () => {
  await withTempDir(async (tmp) => {
    const dir = join(tmp, "a-rather-long-folder-name-".repeat(4));
    await Deno.mkdir(join(dir, "apps"), { recursive: true });
    await Deno.writeTextFile(join(dir, "apps/ticker.ts"), TICKER);
    await Deno.writeTextFile(join(dir, "sa.yaml"), yaml([["a", "A"]]));
    const up = spawnSa(["up", "--port", "0"], dir);
    try {
      await up.waitFor((out, err) => /ready in/.test(err) && ticks(out, "A") > 0);
    } finally {
      const st = await up.kill("SIGINT");
      assert.equal(st.code, 0, up.stderr());
    }
    assert.match(
      up.stderr(),
      /sa +\| warning: sa stop\/start\/restart are not available for this run: cannot listen on .*control\.sock: /,
    );
  });
});
