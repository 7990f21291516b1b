import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { AppModuleError, loadAppDefinition } from "../../lib/project/manifest.ts";
import { withTempDir } from "../cli/_helpers.ts";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/apps/${name}`, import.meta.url));

Deno.test("loadAppDefinition returns the defineApp default export", async () => {
  const app = await loadAppDefinition(fixture("echo.ts"));
  assert.equal(app.name, "echo");
  assert.deepEqual(app.variables.map((v) => v.name), ["input"]);
});

Deno.test("loadAppDefinition names the file for each failure", async () => {
  // Written at run time: a module with a bad import in the tree would fail `deno check tests/`.
  await withTempDir(async (dir) => {
    const broken = join(dir, "broken.ts");
    await Deno.writeTextFile(broken, 'import { x } from "./nope.ts";\nexport default x;\n');
    const cases = [
      [fixture("missing.ts"), "app module not found"],
      [fixture("not_an_app.ts"), "the default export is not an app"],
      [broken, "cannot load the app module"],
    ];
    for (const [file, reason] of cases) {
      await assert.rejects(() => loadAppDefinition(file), (err: unknown) => {
        assert(err instanceof AppModuleError);
        assert.equal(err.file, file);
        assert(err.message.startsWith(`${file}: ${reason}`), err.message);
        return true;
      });
    }
  });
});
