/**
 * The README's episode-1 walkthrough, step by step with the code the
 * document shows: init → apps create → write normalize → vars export → pipeline update →
 * run both deployments against the embedded broker → sa consume shows the expected rows.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as init } from "../../lib/cli/init.ts";
import { command as apps } from "../../lib/cli/apps.ts";
import { command as vars } from "../../lib/cli/vars.ts";
import { command as pipelineCmd } from "../../lib/cli/pipeline.ts";
import { command as consume } from "../../lib/cli/consume.ts";
import { loadPipeline, resolveAppEntry } from "../../lib/project/pipeline.ts";
import { loadAppDefinition } from "../../lib/project/manifest.ts";
import { readDotEnv } from "../../lib/project/env.ts";
import { resolveVariables } from "../../lib/project/variables.ts";
import { withBroker } from "./_broker.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { type Captured, runCommand, withTempDir } from "./_helpers.ts";

const DOC = new URL("../../README.md", import.meta.url);

/** The TypeScript block of the walkthrough: the normalize app the reader writes. */
async function documentedNormalize(): Promise<string> {
  const text = await Deno.readTextFile(DOC);
  const m = /```ts\n(import \{ Application, defineApp \}[\s\S]*?)```/.exec(text);
  assert(m, "README.md has no normalize code block");
  return m[1];
}

/** Independent expectation: accelerometer readings whose |x|+|y|+|z| > 50. */
function expectedShakes(recording: string): number {
  let n = 0;
  for (const line of recording.split("\n")) {
    if (!line.trim()) continue;
    for (const r of JSON.parse(line).payload) {
      if (r.name !== "accelerometer" || typeof r.values.x !== "number") continue;
      if (Math.abs(r.values.x) + Math.abs(r.values.y) + Math.abs(r.values.z) > 50) n++;
    }
  }
  return n;
}

Deno.test("episode 1 walkthrough: init → apps create → vars export → pipeline update → run → consume", async () => {
  await withTempDir(async (tmp) => {
    const ok = async (r: Promise<Captured>) => {
      const res = await r;
      assert.equal(res.code, 0, res.stderr);
      return res;
    };
    await ok(runCommand(init, ["episode1"], tmp));
    const dir = join(tmp, "episode1");
    await ok(runCommand(apps, ["create", "replay", "-p", "apps/replay.ts"], dir));
    await ok(
      runCommand(apps, ["create", "starter-transformation", "-p", "apps/normalize.ts"], dir),
    );
    await Deno.writeTextFile(join(dir, "apps/normalize.ts"), await documentedNormalize());
    const exported = await ok(runCommand(vars, ["export"], dir));
    assert.match(
      exported.stderr,
      /output differs between apps \(normalize=table-data, replay=raw-data\)/,
    );
    const dotenv = await readDotEnv(join(dir, ".env"));
    assert.equal(dotenv.input, "raw-data");
    assert.equal(dotenv.output, undefined);
    await ok(runCommand(pipelineCmd, ["update"], dir));
    const pipeline = await loadPipeline(join(dir, "sa.yaml"));
    assert.deepEqual(pipeline.deployments.map((d) => d.name), ["normalize", "replay"]);
    assert.deepEqual(pipeline.topics.map((t) => t.name), ["raw-data", "table-data"]);

    // "sa up": each deployment's main with the values from sa.yaml (replay at full speed).
    await withBroker(async (address) => {
      const saved = Deno.env.get("SA_BROKER");
      Deno.env.set("SA_BROKER", address);
      // As `sa up` does: project-relative paths (replay's file) resolve against the project.
      Deno.env.set("SA_PROJECT_DIR", dir);
      const stop = new AbortController();
      const running: Promise<void>[] = [];
      try {
        // As `sa up` does: the declared topics first.
        const admin = kafkaFor(address).admin();
        await admin.connect();
        await admin.createTopics({
          topics: pipeline.topics.map((t) => ({ topic: t.name, numPartitions: t.partitions })),
        });
        await admin.disconnect();
        for (const d of pipeline.deployments) {
          const def = await loadAppDefinition(resolveAppEntry(pipeline, d));
          const { values, missing } = resolveVariables({
            declared: def.variables,
            deployment: d,
            dotenv: {},
            processEnv: d.name === "replay" ? { speed: "0" } : {},
          });
          assert.deepEqual(missing, []);
          running.push(Promise.resolve(def.main(values, stop.signal)));
        }
        const expected = expectedShakes(
          await Deno.readTextFile(join(dir, "demo_stream.json")),
        );
        assert(expected > 10, `the sample recording should have shakes, has ${expected}`);
        const r = await ok(runCommand(
          consume,
          ["table-data", "--from-beginning", "-n", String(expected), "--broker", address],
          dir,
        ));
        const rows = r.stdout.trimEnd().split("\n").map((l) => JSON.parse(l));
        assert.equal(rows.length, expected);
        for (const row of rows) {
          assert.equal(row.key, "demo_stream.json");
          assert(row.value["accelerometer-total"] > 50);
          assert.deepEqual(Object.keys(row.value), [
            "time",
            "accelerometer-x",
            "accelerometer-y",
            "accelerometer-z",
            "accelerometer-total",
          ]);
        }
      } finally {
        stop.abort();
        await Promise.allSettled(running);
        Deno.env.delete("SA_PROJECT_DIR");
        if (saved === undefined) Deno.env.delete("SA_BROKER");
        else Deno.env.set("SA_BROKER", saved);
      }
    });
  });
});
