/**
 * Items 8 and 9 of issue 14: a syntax error in an app shows its file:line:col and code frame
 * in every command that loads apps, and YAML mistakes are named in plain words with a frame.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as pipeline } from "../../lib/cli/pipeline.ts";
import { command as vars } from "../../lib/cli/vars.ts";
import { command as apps } from "../../lib/cli/apps.ts";
import { command as run } from "../../lib/cli/run.ts";
import { command as up } from "../../lib/cli/up.ts";
import { DEFINE_APP_URL, runCommand, withTempDir } from "./_helpers.ts";

const BROKEN = `import { defineApp } from "${DEFINE_APP_URL}";
export default defineApp({
  name: "x",
  variables: [,
  main() {}
});
`;

const FRAME = "apps/x.ts:5:10: SyntaxError: Expected ',', got '{'\n" +
  "  |\n" +
  "5 |   main() {}\n" +
  "  |          ~\n";

Deno.test("a syntax error in an app: the same located code frame from run, pipeline update, vars export, apps list", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "apps"));
    await Deno.writeTextFile(join(dir, "apps/x.ts"), BROKEN);
    await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments: []\n");
    const cases: [typeof run, string[], string][] = [
      [run, ["apps/x.ts", "--no-check"], "run"],
      [pipeline, ["update"], "pipeline"],
      [vars, ["export"], "vars"],
      [apps, ["list"], "apps"],
    ];
    for (const [command, argv, name] of cases) {
      const r = await runCommand(command, argv, dir);
      assert.deepEqual(r, { code: 1, stdout: "", stderr: `sa ${name}: ${FRAME}` }, name);
    }
    // Nothing written.
    assert.equal(await Deno.readTextFile(join(dir, "sa.yaml")), "deployments: []\n");
    await assert.rejects(Deno.stat(join(dir, ".env")), Deno.errors.NotFound);
  });
});

Deno.test("YAML mistakes: plain words and a code frame at sa.yaml:line:col", async () => {
  await withTempDir(async (dir) => {
    const cases: [string, string][] = [
      [
        "deployments:\n  - name: a\n    application: apps/x.ts\n     variables: []\n",
        "sa.yaml:3:18: bad indentation: the next line is indented under this value (line up " +
        'keys of the same mapping), or a value holds ": " and needs quotes\n' +
        "2 |   - name: a\n" +
        "3 |     application: apps/x.ts\n" +
        "  |                  ^\n" +
        "4 |      variables: []\n",
      ],
      [
        "deployments:\n\t- name: a\n",
        "sa.yaml:2:1: a tab is used for indentation; YAML needs spaces\n" +
        "1 | deployments:\n" +
        "2 | \t- name: a\n" +
        "  | ^\n",
      ],
      [
        "deployments:\n  - name: a\n   application: x\n",
        "sa.yaml:3:1: bad indentation: this line does not line up with the list item above " +
        'it (or its "- " is missing)\n' +
        "2 |   - name: a\n" +
        "3 |    application: x\n" +
        "  | ^\n",
      ],
    ];
    for (const [yaml, want] of cases) {
      await Deno.writeTextFile(join(dir, "sa.yaml"), yaml);
      const r = await runCommand(up, [], dir);
      assert.deepEqual(r, { code: 1, stdout: "", stderr: `sa up: ${want}` });
      assert.equal(await Deno.readTextFile(join(dir, "sa.yaml")), yaml);
    }
    await assert.rejects(Deno.stat(join(dir, ".sa")), Deno.errors.NotFound);
  });
});
