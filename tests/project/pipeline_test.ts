import assert from "node:assert/strict";
import { join } from "node:path";
import {
  findPipelineFile,
  loadPipeline,
  parsePipeline,
  PipelineError,
  resolveAppEntry,
  resolveApplication,
} from "../../lib/project/pipeline.ts";
import { withTempDir } from "../cli/_helpers.ts";

const SAMPLE = `# course pipeline
metadata:
  version: 1.0
deployments:
  - name: replay
    application: apps/replay.ts
    deploymentType: Service
    version: latest
    resources: { cpu: 200, memory: 200, replicas: 2 }
    desiredStatus: Running
    variables:
      - name: output
        inputType: OutputTopic
        description: Topic the recording is replayed into
        required: true
        value: raw-data
      - name: speed
        inputType: FreeText
        value: 10
    allowNet: [api.example.com:443]
  - name: sink
    application: sink
    deploymentType: Job
    desiredStatus: Stopped
    disabled: true
topics:
  - name: raw-data
    persisted: false
    configuration: { partitions: 3, replicationFactor: 1, retentionInMinutes: 1440, retentionInBytes: 52428800, cleanupPolicy: Delete }
  - name: compacted
    configuration: { cleanupPolicy: compact, retentionInMinutes: -1 }
`;

function errorOf(text: string): PipelineError {
  try {
    parsePipeline(text, "/p/sa.yaml");
  } catch (err) {
    if (err instanceof PipelineError) return err;
    throw err;
  }
  throw new Error("expected a PipelineError");
}

Deno.test("parsePipeline reads the Quix v1 schema", () => {
  const p = parsePipeline(SAMPLE, "/p/sa.yaml");
  assert.deepEqual(p.dir, "/p");
  assert.deepEqual(p.version, "1.0");
  assert.deepEqual(p.deployments.length, 2);
  assert.deepEqual(p.deployments[0], {
    name: "replay",
    application: "apps/replay.ts",
    applicationAt: "sa.yaml:6:18",
    deploymentType: "Service",
    version: "latest",
    replicas: 2,
    disabled: false,
    desiredStatus: "Running",
    variables: [
      {
        name: "output",
        inputType: "OutputTopic",
        description: "Topic the recording is replayed into",
        required: true,
        value: "raw-data",
        valueAt: "sa.yaml:16:16",
      },
      { name: "speed", inputType: "FreeText", value: "10", valueAt: "sa.yaml:19:16" },
    ],
    allowNet: ["api.example.com:443"],
  });
  assert.deepEqual(p.deployments[1].deploymentType, "Job");
  assert.deepEqual(p.deployments[1].desiredStatus, "Stopped");
  assert.deepEqual(p.deployments[1].disabled, true);
  assert.deepEqual(p.deployments[1].replicas, 1);
  assert.deepEqual(p.topics, [
    {
      name: "raw-data",
      partitions: 3,
      replicationFactor: 1,
      retentionMs: 1440 * 60_000,
      retentionBytes: 52428800,
      cleanupPolicy: "delete",
    },
    { name: "compacted", partitions: 1, replicationFactor: 1, cleanupPolicy: "compact" },
  ]);
});

Deno.test("parsePipeline accepts an empty file and empty sections", () => {
  assert.deepEqual(parsePipeline("", "/p/sa.yaml").deployments, []);
  const p = parsePipeline("metadata:\n  version: 1.0\ndeployments:\ntopics:\n", "/p/sa.yaml");
  assert.deepEqual([p.deployments, p.topics], [[], []]);
});

Deno.test("invalid YAML is reported as sa.yaml:line:col", () => {
  const e = errorOf("metadata:\n  version: 1.0\ndeployments: [\n  - name: x\n");
  assert(/^sa\.yaml:\d+:\d+: /.test(e.message), e.message);
  assert.deepEqual(e.file, "/p/sa.yaml");
});

Deno.test("schema errors point at the offending node", () => {
  const cases: [string, string][] = [
    [
      "deployments:\n  - name: a\n    application: a.ts\n    deploymentType: Daemon\n",
      'sa.yaml:4:21: deployment "a": deploymentType "Daemon" is not one of Service, Job',
    ],
    [
      "deployments:\n  - application: a.ts\n",
      'sa.yaml:2:5: deployment is missing "name"',
    ],
    [
      "deployments:\n  - name: a\n",
      'sa.yaml:2:5: deployment "a" is missing "application"',
    ],
    [
      "deployments:\n  - name: a\n    application: a.ts\n    resources: { replicas: two }\n",
      'sa.yaml:4:28: deployment "a": resources: replicas must be an integer >= 0, not "two"',
    ],
    [
      "deployments:\n  - name: a\n    application: a.ts\n    replcas: 2\n",
      'sa.yaml:4:5: deployment "a": unknown key "replcas"; expected one of',
    ],
    [
      "deployments:\n  - name: a\n    application: a.ts\n    variables:\n      - name: in\n        inputType: Topic\n",
      'sa.yaml:6:20: deployment "a": variable "in": inputType "Topic" is not one of InputTopic, OutputTopic, FreeText, Secret',
    ],
    [
      "deployments:\n  - name: a\n    application: a.ts\n  - name: a\n    application: b.ts\n",
      'sa.yaml:4:5: deployment "a" is declared twice',
    ],
    [
      "topics:\n  - name: t\n    configuration: { partitions: 0 }\n",
      'sa.yaml:3:34: topic "t": configuration: partitions must be an integer >= 1, not "0"',
    ],
    [
      "topics:\n  - name: t\n    configuration: { cleanupPolicy: Forever }\n",
      'sa.yaml:3:37: topic "t": configuration: cleanupPolicy "Forever" is not one of Delete, Compact',
    ],
    ["topics:\n  - name: bad topic\n", 'sa.yaml:2:11: topic "bad topic": topic names use only'],
    ["deployments: 3\n", "sa.yaml:1:14: deployments must be a list"],
    ["- a\n- b\n", "sa.yaml:1:1: the pipeline file must be a mapping"],
    ["metadata:\n  version: 2.0\n", "sa.yaml:2:12: metadata.version 2.0 is not supported"],
    [
      "deployments:\n  - name: a\n    application: a.ts\n    disabled: maybe\n",
      'sa.yaml:4:15: deployment "a": disabled must be true or false, not "maybe"',
    ],
  ];
  for (const [text, expected] of cases) {
    const e = errorOf(text);
    assert(e.message.startsWith(expected), `got: ${e.message}\nexpected: ${expected}`);
  }
});

Deno.test("findPipelineFile prefers sa.yaml over quix.yaml; loadPipeline reads it", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await findPipelineFile(dir), null);
    await Deno.writeTextFile(join(dir, "quix.yaml"), "deployments: []\n");
    assert.deepEqual(await findPipelineFile(dir), join(dir, "quix.yaml"));
    await Deno.writeTextFile(join(dir, "sa.yaml"), SAMPLE);
    const file = await findPipelineFile(dir);
    assert.deepEqual(file, join(dir, "sa.yaml"));
    const p = await loadPipeline(file!);
    assert.deepEqual(p.dir, dir);
    await assert.rejects(() => loadPipeline(join(dir, "nope.yaml")), /pipeline file not found/);
  });
});

Deno.test("resolveAppEntry: module path, folder main.ts, app.yaml runEntryPoint", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "plain"));
    await Deno.mkdir(join(dir, "quixy"));
    await Deno.writeTextFile(join(dir, "quixy", "app.yaml"), "name: q\nrunEntryPoint: app.ts\n");
    const p = parsePipeline(
      "deployments:\n  - {name: a, application: apps/a.ts}\n  - {name: b, application: plain}\n  - {name: c, application: quixy}\n",
      join(dir, "sa.yaml"),
    );
    assert.deepEqual(resolveAppEntry(p, p.deployments[0]), join(dir, "apps/a.ts"));
    assert.deepEqual(resolveAppEntry(p, p.deployments[1]), join(dir, "plain/main.ts"));
    assert.deepEqual(resolveAppEntry(p, p.deployments[2]), join(dir, "quixy/app.ts"));
    // The same without a deployment (apps found in apps/ or named on the command line).
    assert.deepEqual(resolveApplication(dir, "plain"), join(dir, "plain/main.ts"));
    assert.deepEqual(resolveApplication(dir, "quixy"), join(dir, "quixy/app.ts"));
    assert.deepEqual(
      resolveApplication("/elsewhere", join(dir, "quixy")),
      join(dir, "quixy/app.ts"),
    );
    await Deno.writeTextFile(join(dir, "quixy", "app.yaml"), "runEntryPoint: [x]\n");
    assert.throws(() => resolveAppEntry(p, p.deployments[2]), /app\.yaml:1:16/);
  });
});

Deno.test("a Quix quix.yaml (cloud keys, folder apps with app.yaml) loads", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "csv data source"));
    await Deno.writeTextFile(
      join(dir, "csv data source", "app.yaml"),
      "name: CSV data source\nlanguage: python\nvariables: []\ndockerfile: dockerfile\nrunEntryPoint: main.ts\ndefaultFile: main.ts\n",
    );
    await Deno.writeTextFile(
      join(dir, "quix.yaml"),
      `# Quix Project Descriptor
metadata:
  version: 1.0

deployments:
  - name: CSV data source
    application: csv data source
    deploymentType: Job
    version: latest
    resources:
      cpu: 200
      memory: 200
      replicas: 1
    group: data-sources
    workspaceIds: [ws-1]
    publicAccess: { enabled: false, urlPrefix: csv }
    state: { enabled: true, size: 1 }
    variables:
      - name: output
        inputType: OutputTopic
        description: Name of the output topic to write into
        required: true
        value: csv-data
      - name: api_key
        inputType: Secret
        required: true
        secretKey: data-source-api-key
topics:
  - name: csv-data
    persisted: false
    configuration:
      partitions: 2
      replicationFactor: 2
      retentionInMinutes: 1440
      retentionInBytes: 52428800
`,
    );
    const file = await findPipelineFile(dir);
    assert.equal(file, join(dir, "quix.yaml"));
    const p = await loadPipeline(file!);
    const d = p.deployments[0];
    assert.deepEqual([d.name, d.deploymentType, d.replicas], ["CSV data source", "Job", 1]);
    assert.deepEqual(d.variables.map((v) => [v.name, v.value]), [["output", "csv-data"], [
      "api_key",
      undefined,
    ]]);
    assert.equal(resolveAppEntry(p, d), join(dir, "csv data source", "main.ts"));
    assert.deepEqual(p.topics[0], {
      name: "csv-data",
      partitions: 2,
      replicationFactor: 2,
      retentionMs: 1440 * 60_000,
      retentionBytes: 52428800,
      cleanupPolicy: "delete",
    });
  });
});
