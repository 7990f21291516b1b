/**
 * Item 1 of issue 14: per-app variables and the refusal of an app that would write into its
 * own input, for `sa run` (the `.env` trap) and `sa up` (the pipeline file).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as run } from "../../lib/cli/run.ts";
import { DEFINE_APP_URL, runCommand, withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";

/** A starter app reading `input` and writing `output`; its main leaves a marker file. */
async function writeStarter(dir: string): Promise<void> {
  await Deno.mkdir(join(dir, "apps"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "apps/starter.ts"),
    `import { defineApp } from "${DEFINE_APP_URL}";
export default defineApp({
  name: "starter",
  variables: [
    { name: "input", inputType: "InputTopic", defaultValue: "raw-data", required: true },
    { name: "output", inputType: "OutputTopic", defaultValue: "table-data", required: true },
  ],
  main(vars) {
    Deno.writeTextFileSync(Deno.env.get("SA_STATE_DIR") + "/ran", vars.output);
  },
});
`,
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("sa run: an output equal to the input, from the shared .env, is refused with .env:line", async () => {
  await withTempDir(async (dir) => {
    await writeStarter(dir);
    await Deno.writeTextFile(join(dir, ".env"), "# replay\nspeed=10\noutput=raw-data\n");
    const r = await runCommand(run, ["apps/starter.ts", "--no-check"], dir);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'sa run: app "starter" would write into its own input: output and input are both ' +
        '"raw-data" (output set at .env:3, input at the default value in apps/starter.ts); ' +
        "give this app its own output in .env.starter (it overrides .env for this app only)\n",
    );
    assert.equal(r.stdout, "");
    assert.equal(await exists(join(dir, ".sa/state/starter/ran")), false, "main must not run");
    assert.equal(
      await Deno.readTextFile(join(dir, ".env")),
      "# replay\nspeed=10\noutput=raw-data\n",
    );
  });
});

Deno.test("sa run: .env.<app> overrides .env for that app only", async () => {
  await withTempDir(async (dir) => {
    await writeStarter(dir);
    await Deno.writeTextFile(join(dir, ".env"), "output=raw-data\n");
    await Deno.writeTextFile(join(dir, ".env.starter"), "output=table-data\n");
    const r = await runCommand(run, ["apps/starter.ts", "--no-check"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /output=table-data \(\.env\.starter\)/);
    assert.equal(await Deno.readTextFile(join(dir, ".sa/state/starter/ran")), "table-data");
  });
});

Deno.test("sa run: a loop set in the app's own .env.<app> names that file and line", async () => {
  await withTempDir(async (dir) => {
    await writeStarter(dir);
    await Deno.writeTextFile(join(dir, ".env.starter"), "\ninput=x\noutput=x\n");
    const r = await runCommand(run, ["apps/starter.ts", "--no-check"], dir);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'sa run: app "starter" would write into its own input: output and input are both "x" ' +
        "(output set at .env.starter:3, input at .env.starter:2); change it at .env.starter:3\n",
    );
    assert.equal(await exists(join(dir, ".sa/state/starter/ran")), false);
  });
});

Deno.test("sa run: a loop set in sa.yaml names sa.yaml:line:col", async () => {
  await withTempDir(async (dir) => {
    await writeStarter(dir);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      `deployments:
  - name: starter
    application: apps/starter.ts
    variables:
      - name: output
        inputType: OutputTopic
        value: raw-data
`,
    );
    const r = await runCommand(run, ["apps/starter.ts", "--no-check"], dir);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'sa run: app "starter" would write into its own input: output and input are both ' +
        '"raw-data" (output set at sa.yaml:7:16, input at the default value in apps/starter.ts); ' +
        "change it at sa.yaml:7:16\n",
    );
    assert.equal(await exists(join(dir, ".sa/state/starter/ran")), false);
  });
});

Deno.test("sa up: a deployment writing into its own input is refused with sa.yaml:line:col, the rest starts", async () => {
  await withTempDir(async (dir) => {
    await writeStarter(dir);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      `deployments:
  - name: looping
    application: apps/starter.ts
    variables:
      - name: output
        inputType: OutputTopic
        value: raw-data
  - name: fine
    application: apps/starter.ts
`,
    );
    const proc = spawnSa(["up", "--port", "0"], dir);
    try {
      await proc.waitFor((_o, err) => /ready in \d+ ms/.test(err));
    } finally {
      const st = await proc.kill("SIGINT");
      assert.equal(st.code, 0, proc.stderr());
    }
    const err = proc.stderr();
    assert.match(
      err,
      /(^|\n)looping +\| ERROR cannot start: deployment "looping" would write into its own input: output and input are both "raw-data" \(set at sa\.yaml:7:16\); give it a different output\n/,
    );
    assert.match(
      err,
      /sa +\| ready in \d+ ms: broker 127\.0\.0\.1:\d+, 1 deployment \(fine\); not started: looping \(see the error above\); Ctrl\+C to stop\n/,
    );
    assert.equal(await exists(join(dir, ".sa/state/looping/ran")), false, "main must not run");
    assert.equal(await Deno.readTextFile(join(dir, ".sa/state/fine/ran")), "table-data");
    assert.doesNotMatch(err, /restarting/);
  });
});

Deno.test("sa vars list shows values from the app's own .env.<app>", async () => {
  const { command: vars } = await import("../../lib/cli/vars.ts");
  await withTempDir(async (dir) => {
    await writeStarter(dir);
    await Deno.writeTextFile(join(dir, ".env"), "output=raw-data\n");
    await Deno.writeTextFile(join(dir, ".env.starter"), "output=table-data\n");
    const r = await runCommand(vars, ["list"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "APP      VARIABLE  TYPE         VALUE       SOURCE\n" +
        "starter  input     InputTopic   raw-data    default\n" +
        "starter  output    OutputTopic  table-data  .env.starter\n",
    );
  });
});
