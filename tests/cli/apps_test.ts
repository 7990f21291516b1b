import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { command } from "../../lib/cli/apps.ts";
import { TEMPLATES } from "../../lib/templates/mod.ts";
import { loadAppDefinition } from "../../lib/project/manifest.ts";
import { assertGolden, runCommand, withTempDir } from "./_helpers.ts";

const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));

Deno.test("sa apps templates lists the templates, episode 2's included", async () => {
  const r = await runCommand(command, ["templates"], "/");
  assert.equal(r.code, 0);
  await assertGolden("templates/list.txt", r.stdout);
  assert.deepEqual(TEMPLATES.map((t) => t.id), [
    "replay",
    "starter-source",
    "starter-transformation",
    "starter-destination",
    "file-sink",
    "phone-gateway",
    "odometer",
    "windows",
    "normalize-windowed",
    "group-by",
  ]);
});

Deno.test("sa apps create writes every template (golden), each a type-checked app declaring its variables", async () => {
  await withTempDir(async (dir) => {
    const modules: string[] = [];
    for (const t of TEMPLATES) {
      const path = `apps/${t.id.replace(/^starter-/, "")}.ts`;
      const r = await runCommand(command, ["create", t.id, "-p", path], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^Created app "${t.id.replace(/^starter-/, "")}" from ${t.id}: `),
      );
      const text = await Deno.readTextFile(join(dir, path));
      await assertGolden(`templates/${t.id}.ts.golden`, text);
      modules.push(join(dir, path));
      const app = await loadAppDefinition(join(dir, path));
      assert(app.variables.length > 0, `${t.id} declares no variables`);
      for (const v of app.variables) assert(v.description, `${t.id}: ${v.name} has no description`);
    }
    // The replay template ships a sample recording at the project's top level.
    const sample = await Deno.readTextFile(join(dir, "demo_stream.json"));
    const first = JSON.parse(sample.split("\n")[0]);
    assert.equal(first.payload[0].name, "accelerometer");
    // Type-check the generated apps against the toolkit (the import map maps @sa/toolkit).
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--config", CONFIG, ...modules],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  });
});

Deno.test("sa apps create into a folder names the app after it and refuses to overwrite", async () => {
  await withTempDir(async (dir) => {
    let r = await runCommand(
      command,
      ["create", "starter-transformation", "-p", "apps/clean"],
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    const app = await loadAppDefinition(join(dir, "apps/clean/main.ts"));
    assert.equal(app.name, "clean");
    r = await runCommand(command, ["list"], dir);
    assert.equal(
      r.stdout,
      "APP    MODULE      DEPLOYED  VARIABLES\nclean  apps/clean  no        input, output\n",
    );
    r = await runCommand(command, ["create", "starter-source", "-p", "apps/clean/"], dir);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "sa apps: apps/clean/main.ts already exists; use --force to overwrite\n",
    );
    r = await runCommand(command, ["create", "starter-source", "-p", "apps/clean", "--force"], dir);
    assert.equal(r.code, 0);
    assert.match(await Deno.readTextFile(join(dir, "apps/clean/main.ts")), /interval_ms/);
  });
});

Deno.test("sa apps: unknown template lists the templates; bad paths and names are rejected", async () => {
  await withTempDir(async (dir) => {
    let r = await runCommand(command, ["create", "starter-sorce", "-p", "apps/x.ts"], dir);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^sa apps: unknown template "starter-sorce"\. Templates:\n {2}replay .*\n {2}starter-source /,
    );
    r = await runCommand(command, ["create", "nope"], dir);
    assert.match(r.stderr, /unknown template "nope"/);
    r = await runCommand(command, ["create", "replay"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-p <path> is required/);
    r = await runCommand(command, ["create", "replay", "-p", "../outside.ts"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /the app must be inside the project/);
    r = await runCommand(
      command,
      ["create", "replay", "-p", "apps/r.ts", "--name", "bad name"],
      dir,
    );
    assert.match(r.stderr, /app name "bad name" must start with a letter/);
    r = await runCommand(command, ["frob"], dir);
    assert.match(r.stderr, /unknown subcommand "frob"/);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  });
});
