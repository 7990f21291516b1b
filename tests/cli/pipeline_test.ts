import assert from "node:assert/strict";
import { join } from "node:path";
import { command } from "../../lib/cli/pipeline.ts";
import { loadPipeline } from "../../lib/project/pipeline.ts";
import { assertGolden, runCommand, withTempDir, writeReplayNormalize } from "./_helpers.ts";

const COMMENTED = `# My pipeline. Keep this comment!
metadata:
  version: 1.0   # schema version

deployments:
  # the normalizer, tuned by hand
  - name: normalize
    application: apps/normalize.ts
    deploymentType: Service
    resources: { cpu: 500, memory: 300, replicas: 3 }   # three replicas
    desiredStatus: Running
    variables:
      - name: input
        inputType: InputTopic
        value: "custom-raw"   # quoted on purpose
topics:
  # hand-written topic
  - name: custom-raw
    configuration: { partitions: 6, replicationFactor: 1, cleanupPolicy: Delete }
`;

Deno.test("sa pipeline update keeps comments and formatting, adds apps and topics", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    await Deno.writeTextFile(join(dir, "sa.yaml"), COMMENTED);
    await Deno.writeTextFile(join(dir, ".env"), "speed=5\n");
    const r = await runCommand(command, ["update"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "sa.yaml: added replay; updated normalize; added topics table-data, raw-data\n",
    );
    assert.equal(
      r.stderr,
      'warning: deployment "normalize": required variable "token" has no value; set it in the pipeline file or .env\n',
    );
    const text = await Deno.readTextFile(join(dir, "sa.yaml"));
    await assertGolden("pipeline/update_commented.yaml", text);
    // Every line of the original survives verbatim, in order (spacing before comments too).
    const lines = text.split("\n");
    let at = 0;
    for (const line of COMMENTED.trimEnd().split("\n")) {
      at = lines.indexOf(line, at);
      assert(at >= 0, `line lost, changed or reordered: ${line}`);
    }
    const p = await loadPipeline(join(dir, "sa.yaml"));
    assert.deepEqual(p.deployments.map((d) => [d.name, d.replicas]), [["normalize", 3], [
      "replay",
      1,
    ]]);
    const replay = p.deployments[1];
    assert.deepEqual(replay.variables.map((v) => [v.name, v.value]), [["output", "raw-data"], [
      "speed",
      "5",
    ]]);
    assert.deepEqual(p.topics.map((t) => t.name), ["custom-raw", "table-data", "raw-data"]);

    // Idempotent: a second run changes nothing.
    const again = await runCommand(command, ["update"], dir);
    assert.equal(again.stdout, "sa.yaml is up to date\n");
    assert.equal(await Deno.readTextFile(join(dir, "sa.yaml")), text);
  });
});

Deno.test("sa pipeline update follows the file's indentation and sequence style", async () => {
  const styles = [
    `metadata:
    version: 1.0
deployments:
    - name: replay    # four-space indentation
      application: apps/replay.ts
      variables:
          - name: output
            value: raw-data
topics:
    - name: raw-data
`,
    `metadata:
  version: 1.0
deployments:
- name: replay    # unindented lists
  application: apps/replay.ts
  variables:
  - name: output
    value: raw-data
topics:
- name: raw-data
`,
  ];
  for (const original of styles) {
    await withTempDir(async (dir) => {
      await writeReplayNormalize(dir);
      await Deno.writeTextFile(join(dir, "sa.yaml"), original);
      const r = await runCommand(command, ["update", "replay"], dir);
      assert.equal(r.code, 0, r.stderr);
      const text = await Deno.readTextFile(join(dir, "sa.yaml"));
      const lines = text.split("\n");
      let at = 0;
      for (const line of original.trimEnd().split("\n")) {
        at = lines.indexOf(line, at);
        assert(at >= 0, `line lost, changed or reordered: ${line}\n${text}`);
      }
      // The added variable is laid out like its sibling.
      const sibling = original.split("\n").find((l) => l.includes("- name: output"))!;
      assert(text.includes(sibling.replace("output", "speed")), text);
    });
  }
});

Deno.test("sa pipeline update creates sa.yaml when missing and fills an init-style file", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    const r = await runCommand(command, ["update", "replay"], dir);
    assert.equal(r.code, 0, r.stderr);
    const text = await Deno.readTextFile(join(dir, "sa.yaml"));
    await assertGolden("pipeline/update_new.yaml", text);
    assert.match(text, /^# sa pipeline file/);
    const p = await loadPipeline(join(dir, "sa.yaml"));
    assert.deepEqual(p.deployments.map((d) => d.name), ["replay"]);
    assert.deepEqual(p.topics.map((t) => t.name), ["raw-data"]);
  });
});

Deno.test("sa pipeline update: undeclared variables fail unless --prune; nothing written", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    const original =
      "deployments:\n  - name: replay\n    application: apps/replay.ts\n    variables:\n      - name: sped\n        value: 3\n";
    await Deno.writeTextFile(join(dir, "sa.yaml"), original);
    const r = await runCommand(command, ["update"], dir);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^sa pipeline: deployment "replay": variable "sped" is not declared by its app \(apps\/replay\.ts\); remove it from the pipeline file or run `sa pipeline update --prune`\n$/,
    );
    assert.equal(await Deno.readTextFile(join(dir, "sa.yaml")), original);
    const pruned = await runCommand(command, ["update", "--prune"], dir);
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.match(pruned.stdout, /removed variables replay\.sped/);
    const p = await loadPipeline(join(dir, "sa.yaml"));
    assert.deepEqual(p.deployments[0].variables.map((v) => v.name), ["output", "speed"]);
  });
});

Deno.test("sa pipeline update (also --prune) keeps a deployment's connection settings", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: replay\n    application: apps/replay.ts\n    variables:\n" +
        "      - {name: SA_SASL_USERNAME, value: alice}\n" +
        "      - {name: SA_SASL_PASSWORD, inputType: Secret, secretKey: PW}\n",
    );
    const r = await runCommand(command, ["update", "--prune"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /SA_SASL/);
    const p = await loadPipeline(join(dir, "sa.yaml"));
    const vars = p.deployments.find((d) => d.name === "replay")!.variables;
    assert.deepEqual(vars.map((v) => [v.name, v.value ?? v.secretKey]), [
      ["SA_SASL_USERNAME", "alice"],
      ["SA_SASL_PASSWORD", "PW"],
      ["output", "raw-data"],
      ["speed", "1"],
    ]);
  });
});

Deno.test("sa pipeline update: invalid YAML, missing app, unknown subcommand", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: a\n    application: [\n",
    );
    let r = await runCommand(command, ["update"], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sa pipeline: sa\.yaml:\d+:\d+: /);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: gone\n    application: apps/gone.ts\n",
    );
    r = await runCommand(command, ["update"], dir);
    assert.match(r.stderr, /deployment "gone": apps\/gone\.ts: app module not found/);
    await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments: []\n");
    r = await runCommand(command, ["update", "lib/nope.ts"], dir);
    assert.match(r.stderr, /lib\/nope\.ts: app module not found/);
    r = await runCommand(command, ["sync"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown subcommand "sync"; expected update or view/);
  });
});

Deno.test("sa pipeline view draws apps and topics and writes mermaid (golden)", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      `deployments:
  - name: replay
    application: apps/replay.ts
    variables:
      - { name: output, inputType: OutputTopic, value: raw-data }
  - name: normalize
    application: apps/normalize.ts
    resources: { replicas: 2 }
    variables:
      - { name: input, value: raw-data }
      - { name: output, value: table-data }
topics:
  - name: raw-data
  - name: table-data
  - name: spare
`,
    );
    const r = await runCommand(command, ["view"], dir);
    assert.equal(r.code, 0, r.stderr);
    await assertGolden("pipeline/view.txt", r.stdout);
    await assertGolden("pipeline/view.md", await Deno.readTextFile(join(dir, "pipeline.md")));
    // -o takes relative or absolute paths.
    const abs = join(dir, "graph.md");
    assert.equal(
      (await runCommand(command, ["view", "-o", abs, "--direction", "TD"], dir)).code,
      0,
    );
    assert.match(await Deno.readTextFile(abs), /flowchart TD/);
    const unwritable = await runCommand(command, ["view", "-o", join(dir, "no/such/dir.md")], dir);
    assert.equal(unwritable.code, 1);
    assert.match(
      unwritable.stderr,
      /^sa pipeline: cannot write .*no\/such\/dir\.md: No such file or directory\n$/,
    );
    const bad = await runCommand(command, ["view", "--direction", "UP"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--direction must be LR or TD, not "UP"/);
  });
  await withTempDir(async (dir) => {
    const r = await runCommand(command, ["view"], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no sa\.yaml \(or quix\.yaml\) in .*; run `sa init` first/);
  });
});
