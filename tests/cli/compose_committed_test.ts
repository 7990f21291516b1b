/**
 * Item 19 of issue 14: this repository's compose/ (the demo pipeline in containers) is
 * committed, and must match what `sa compose` generates from sa.yaml and apps/ today.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadAppsOrFail, openProject } from "../../lib/cli/_project.ts";
import { generateCompose } from "../../lib/project/compose.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("compose/ is up to date with sa.yaml and apps/ (regenerate: sa compose --deno-version <its version>)", async () => {
  const committed = await Deno.readTextFile(join(ROOT, "compose/normalize.Dockerfile"));
  const denoVersion = /^FROM denoland\/deno:(\S+)$/m.exec(committed)![1];
  const project = await openProject(ROOT, true);
  const files = generateCompose({
    pipeline: project.pipeline!,
    apps: await loadAppsOrFail(project),
    toolkitDir: ROOT.replace(/\/$/, ""),
    denoVersion,
  });
  const onDisk = [...Deno.readDirSync(join(ROOT, "compose"))].map((e) => `compose/${e.name}`);
  assert.deepEqual(onDisk.sort(), Object.keys(files).sort());
  for (const [rel, text] of Object.entries(files)) {
    assert.equal(
      await Deno.readTextFile(join(ROOT, rel)),
      text,
      `${rel} is out of date: run sa compose --deno-version ${denoVersion}`,
    );
  }
  // Nothing of this machine in it: the toolkit is mounted relatively (or from SA_TOOLKIT).
  assert.match(files["compose/docker-compose.yml"], /\$\{SA_TOOLKIT:-\.\.\}:\/sa:ro/);
  assert.ok(!files["compose/docker-compose.yml"].includes(ROOT));
});
