import assert from "node:assert/strict";
import { restoreOriginalLines, updatePipelineText } from "../../lib/project/pipeline_edit.ts";
import type { ProjectApp } from "../../lib/project/apps.ts";
import { defineApp } from "../../lib/stream/define_app.ts";

const app: ProjectApp = {
  name: "sink",
  application: "apps/sink.ts",
  entry: "/p/apps/sink.ts",
  definition: defineApp({
    name: "sink",
    variables: [
      { name: "input", inputType: "InputTopic", defaultValue: "rows", required: true },
      { name: "token", inputType: "Secret", defaultValue: "never-written", required: true },
    ],
    main() {},
  }),
};

Deno.test("updatePipelineText fills empty and null sections, keeping their comments", () => {
  for (
    const text of ["", "deployments:   # apps go here\ntopics:\n", "metadata:\n  version: 1.0\n"]
  ) {
    const r = updatePipelineText(text, "/p/sa.yaml", { apps: [app], dotenv: {} });
    assert.deepEqual(r.added, ["sink"]);
    assert.deepEqual(r.topicsAdded, ["rows"]);
    assert.deepEqual(r.pipeline.deployments[0].variables.map((v) => [v.name, v.value]), [
      ["input", "rows"],
      ["token", undefined], // secrets never go into the committed pipeline file
    ]);
    assert.deepEqual(r.warnings, [
      'deployment "sink": required variable "token" has no value; set it in the pipeline file or .env',
    ]);
    if (text.includes("# apps go here")) assert.match(r.text, /# apps go here/);
  }
  // A value from .env fills the warning's gap.
  const r = updatePipelineText("", "/p/sa.yaml", { apps: [app], dotenv: { token: "t" } });
  assert.deepEqual(r.warnings, []);
});

Deno.test("updatePipelineText rejects invalid files with file:line:col before editing", () => {
  assert.throws(
    () => updatePipelineText("topics:\n  - name: [x]\n", "/p/sa.yaml", { apps: [app], dotenv: {} }),
    /^PipelineError: sa\.yaml:2:11: topic: name must be a single value$/,
  );
});

Deno.test("restoreOriginalLines keeps original spacing for equal lines only", () => {
  assert.equal(
    restoreOriginalLines("a: 1    # one\nb: 2\n", "a: 1 # one\nb: 3\nc: 4\n"),
    "a: 1    # one\nb: 3\nc: 4\n",
  );
});
