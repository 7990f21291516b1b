/** Item 8 of issue 14: `sa run` / `sa up` show the app's type errors at their line. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as run } from "../../lib/cli/run.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";

/** A project folder with a deno.json as `sa init` writes it. */
async function project(dir: string, app: string): Promise<void> {
  const repo = JSON.parse(
    await Deno.readTextFile(new URL("../../deno.json", import.meta.url)),
  ) as { imports: Record<string, string> };
  const imports: Record<string, string> = {
    "@sa/toolkit": new URL("../../mod.ts", import.meta.url).href,
  };
  for (const [k, v] of Object.entries(repo.imports)) if (v.startsWith("npm:")) imports[k] = v;
  await Deno.writeTextFile(
    join(dir, "deno.json"),
    JSON.stringify({ imports, nodeModulesDir: "none", lock: false }),
  );
  await Deno.mkdir(join(dir, "apps"));
  await Deno.writeTextFile(join(dir, "apps/a.ts"), app);
}

const TYPO = `import { Application, defineApp } from "@sa/toolkit";
export default defineApp({
  name: "a",
  variables: [],
  async main() {
    const app = new Application({ consumerGroup: "g" });
    const sdf = app.dataframe(app.topic("t"));
    sdf.projec(["x"]);
    await app.run();
  },
});
`;

Deno.test("sa run --type-check: TS2551 at apps/a.ts:8:9 with its line, beside the runtime error", async () => {
  await withTempDir(async (dir) => {
    await project(dir, TYPO);
    const r = await runCommand(run, ["apps/a.ts", "--no-check", "--type-check"], dir);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "sa run: a (apps/a.ts) on broker localhost:19092\n" +
        "sa run: 1 type error in apps/a.ts:\n" +
        "apps/a.ts:8:9: TS2551: Property 'projec' does not exist on type " +
        "'StreamingDataFrame<unknown>'. Did you mean 'project'?\n" +
        '  sdf.projec(["x"]);\n' +
        "      ~~~~~~\n" +
        "sa run: apps/a.ts:8:9: TypeError: sdf.projec is not a function\n",
    );
  });
});

Deno.test("sa up --type-check: type errors under the deployment's prefix; the app still runs", async () => {
  await withTempDir(async (dir) => {
    await project(
      dir,
      `import { defineApp } from "@sa/toolkit";
export default defineApp({
  name: "a",
  variables: [],
  main() {
    const port: number = "19092";
    console.log("port", port);
  },
});
`,
    );
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: app\n    application: apps/a.ts\n",
    );
    const proc = spawnSa(["up", "--port", "0", "--type-check"], dir);
    try {
      await proc.waitFor((_o, err) => /type error/.test(err) && /~~~~\n/.test(err), 60_000);
    } finally {
      const st = await proc.kill("SIGINT");
      assert.equal(st.code, 0, proc.stderr());
    }
    assert.match(proc.stdout(), /^app +\| port 19092$/m);
    assert.match(
      proc.stderr(),
      /\napp +\| type error: apps\/a\.ts:6:11: TS2322: Type 'string' is not assignable to type 'number'\.\napp +\| {3}const port: number = "19092";\napp +\| {9}~~~~\n/,
    );
  });
});
