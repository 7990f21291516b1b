/**
 * The replay deployments of this repository's pipelines name recordings that exist: `file` is
 * relative to the project folder (where the sa.yaml is), as `apps/replay.ts` reads it.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { loadPipeline } from "../../lib/project/pipeline.ts";
import { recordingPath } from "../../apps/replay.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("every replay deployment in sa.yaml and examples/*/sa.yaml names an existing recording", async () => {
  const files = [join(ROOT, "sa.yaml")];
  for await (const e of Deno.readDir(join(ROOT, "examples"))) {
    if (e.isDirectory) files.push(join(ROOT, "examples", e.name, "sa.yaml"));
  }
  let replays = 0;
  for (const file of files) {
    const p = await loadPipeline(file);
    for (const d of p.deployments) {
      if (!d.application.endsWith("replay.ts")) continue;
      replays++;
      const value = d.variables.find((v) => v.name === "file")?.value ?? "demo_stream.json";
      const path = recordingPath(value, p.dir);
      assert.ok(
        (await Deno.stat(path).catch(() => null))?.isFile,
        `${file}: deployment "${d.name}": file ${value} -> ${resolve(path)} does not exist`,
      );
    }
  }
  assert.ok(replays >= 2, `expected the episode-1 and episode-4 replays, found ${replays}`);
  // The episode-1 recording sits at the top of the repository, not in apps/.
  assert.ok((await Deno.stat(join(ROOT, "demo_stream.json"))).isFile);
  assert.equal(await Deno.stat(join(ROOT, "apps/demo_stream.json")).catch(() => null), null);
});
