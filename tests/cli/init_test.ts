import assert from "node:assert/strict";
import { join } from "node:path";
import { command } from "../../lib/cli/init.ts";
import { initProject } from "../../lib/project/scaffold.ts";
import { GITIGNORE } from "../../lib/templates/project.ts";
import { loadPipeline } from "../../lib/project/pipeline.ts";
import { readDotEnv } from "../../lib/project/env.ts";
import { assertGolden, runCommand, withTempDir } from "./_helpers.ts";

const FILES = ["sa.yaml", ".gitignore", ".env", "deno.json", "README.md"];

Deno.test("initProject writes the golden project files", async () => {
  await withTempDir(async (tmp) => {
    const dir = join(tmp, "my-pipeline");
    const r = await initProject(dir, { toolkitModule: "file:///opt/sa/mod.ts" });
    assert.deepEqual(r.written, FILES);
    for (const f of FILES) {
      await assertGolden(
        `init/${f.replace(/^\./, "dot").replace(".", "_")}.golden`,
        await Deno.readTextFile(join(dir, f)),
      );
    }
    assert((await Deno.stat(join(dir, "apps"))).isDirectory);
    // The files it writes are valid for the rest of the tooling.
    const p = await loadPipeline(join(dir, "sa.yaml"));
    assert.deepEqual([p.deployments, p.topics], [[], []]);
    assert.equal((await readDotEnv(join(dir, ".env"))).SA_BROKER, "localhost:19092");
  });
});

Deno.test("sa init never overwrites without --force and writes nothing on conflict", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, ".env"), "MINE=1\n");
    const r = await runCommand(command, [], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sa init: \.env already exists in .*; use --force to overwrite\n$/);
    assert.equal(await Deno.readTextFile(join(dir, ".env")), "MINE=1\n");
    await assert.rejects(() => Deno.stat(join(dir, "sa.yaml")), Deno.errors.NotFound);

    const forced = await runCommand(command, [".", "--force"], dir);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(
      forced.stdout,
      /^Created sa\.yaml, \.gitignore, \.env, deno\.json, README\.md in \.\n/,
    );
    assert.notEqual(await Deno.readTextFile(join(dir, ".env")), "MINE=1\n");
  });
});

Deno.test("sa init [dir] resolves against the invocation directory and maps @sa/toolkit", async () => {
  await withTempDir(async (dir) => {
    const r = await runCommand(command, ["proj"], dir);
    assert.equal(r.code, 0, r.stderr);
    const deno = JSON.parse(await Deno.readTextFile(join(dir, "proj", "deno.json")));
    assert.equal(deno.imports["@sa/toolkit"], new URL("../../mod.ts", import.meta.url).href);
    assert.equal(deno.imports.kafkajs, "npm:kafkajs@2.2.4");
  });
});

Deno.test("sa init rejects extra arguments and unknown options", async () => {
  await withTempDir(async (dir) => {
    const two = await runCommand(command, ["a", "b"], dir);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /expected at most one directory/);
    const bad = await runCommand(command, ["--forse"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Unknown option '--forse'/);
  });
});

Deno.test("sa init --help names what the written .gitignore ignores and the apps/ folder", () => {
  const line = command.help.split("\n").find((l) => l.trimStart().startsWith(".gitignore"));
  assert(line, "help lists .gitignore");
  for (const entry of GITIGNORE.trim().split("\n")) {
    assert(line.includes(entry), `help's .gitignore line does not mention ${entry}: ${line}`);
  }
  assert.match(command.help, /^ {2}apps\/ /m);
});
