/** Item 6 of issue 14: no raw stack traces; file-system problems name the path and cause. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { errorLine } from "../../lib/cli/_errors.ts";
import { withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";

async function sa(args: string[], cwd: string) {
  const p = spawnSa(args, cwd);
  const st = await p.status;
  return { code: st.code, stdout: p.stdout(), stderr: p.stderr() };
}

Deno.test("sa up / run / broker: a project or data dir that cannot be written is one line with path and cause", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments: []\n");
    await Deno.writeTextFile(join(dir, ".sa"), "in the way\n");
    await Deno.mkdir(join(dir, "apps"));
    await Deno.writeTextFile(join(dir, "apps/x.ts"), "export default 1;\n");
    let r = await sa(["up", "--port", "0"], dir);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: `sa up: cannot read ${dir}/.sa/sa.pid: not a directory\n`,
    });
    r = await sa(["run", "apps/x.ts", "--no-check"], dir);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: `sa run: cannot create the folder ${dir}/.sa/state/x: not a directory\n`,
    });
    r = await sa(["broker", "--data-dir", "sa.yaml", "--port", "0"], dir);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: `sa broker: cannot create the folder ${dir}/sa.yaml: file exists\n`,
    });
    // Nothing was written or lost.
    assert.equal(await Deno.readTextFile(join(dir, ".sa")), "in the way\n");
    assert.equal(await Deno.readTextFile(join(dir, "sa.yaml")), "deployments: []\n");
    assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
      ".sa",
      "apps",
      "sa.yaml",
    ]);
  });
});

Deno.test("sa --debug adds the stack trace of an unexpected error", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments: []\n");
    await Deno.writeTextFile(join(dir, ".sa"), "");
    const r = await sa(["up", "--port", "0", "--debug"], dir);
    assert.equal(r.code, 1);
    const lines = r.stderr.split("\n");
    assert.equal(lines[0], `sa up: cannot read ${dir}/.sa/sa.pid: not a directory`);
    assert.match(lines[1], /^NotADirectory: /);
    assert.match(r.stderr, /\n +at .*project_state\.ts:\d+:\d+/);
  });
});

Deno.test("errorLine: other errors are their name and first line, marked not fs", () => {
  assert.deepEqual(errorLine(new TypeError("x is not a function\nmore")), {
    line: "TypeError: x is not a function",
    fs: false,
  });
  assert.deepEqual(
    errorLine(new Deno.errors.PermissionDenied("Permission denied (os error 13): open '/p/a'")),
    { line: "cannot open /p/a: permission denied", fs: true },
  );
});
