import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { command } from "../../lib/cli/compose.ts";
import { generateCompose } from "../../lib/project/compose.ts";
import { parsePipeline } from "../../lib/project/pipeline.ts";
import { assertGolden, runCommand, withTempDir, writeApp } from "./_helpers.ts";

const SA_YAML = `deployments:
  - name: replay
    application: apps/replay.ts
    variables:
      - { name: output, inputType: OutputTopic, value: raw-data }
  - name: normalize
    application: apps/normalize.ts
    resources: { replicas: 2 }
    variables:
      - { name: input, inputType: InputTopic, value: raw-data }
  - name: paused
    application: apps/normalize.ts
    desiredStatus: Stopped
  - name: off
    application: apps/normalize.ts
    disabled: true
topics:
  - name: raw-data
    configuration: { partitions: 3, retentionInMinutes: 60 }
`;

async function project(dir: string): Promise<void> {
  await writeApp(dir, "apps/replay.ts", "replay", [
    { name: "output", inputType: "OutputTopic", defaultValue: "raw-data", required: true },
    { name: "speed", inputType: "FreeText", defaultValue: "1" },
  ]);
  await writeApp(dir, "apps/normalize.ts", "normalize", [
    { name: "input", inputType: "InputTopic", defaultValue: "raw-data", required: true },
    { name: "output", inputType: "OutputTopic", defaultValue: "table-data", required: true },
  ]);
  await Deno.writeTextFile(join(dir, "sa.yaml"), SA_YAML);
}

Deno.test("generateCompose: broker, console, topics, one service per deployment (golden)", () => {
  const pipeline = parsePipeline(SA_YAML, "/proj/sa.yaml");
  const files = generateCompose({
    pipeline,
    apps: [],
    toolkitDir: "/opt/sa",
    denoVersion: "2.1.4",
  });
  assert.deepEqual(Object.keys(files).sort(), [
    "compose/docker-compose.yml",
    "compose/normalize.Dockerfile",
    "compose/normalize.Dockerfile.dockerignore",
    "compose/paused.Dockerfile",
    "compose/paused.Dockerfile.dockerignore",
    "compose/replay.Dockerfile",
    "compose/replay.Dockerfile.dockerignore",
  ]);
  const compose = parse(files["compose/docker-compose.yml"]);
  assert.deepEqual(Object.keys(compose.services), [
    "kafka-broker",
    "console",
    "create-topics",
    "replay",
    "normalize",
    "paused",
  ]);
  assert.deepEqual(compose.services.console.ports, ["8080:8080"]);
  assert.deepEqual(compose.services["kafka-broker"].ports, ["19092:19092"]);
  assert.equal(compose.services.normalize.environment.SA_BROKER, "kafka-broker:9092");
  assert.equal(compose.services.normalize.environment.input, "raw-data");
  assert.equal(compose.services.normalize.deploy.replicas, 2);
  assert.equal(compose.services.paused.deploy.replicas, 0);
  return Promise.all([
    assertGolden("compose_golden/docker-compose.yml.golden", files["compose/docker-compose.yml"]),
    assertGolden(
      "compose_golden/normalize.Dockerfile.golden",
      files["compose/normalize.Dockerfile"],
    ),
  ]).then(() => {});
});

Deno.test("sa compose writes files that docker-compose config accepts", async () => {
  await withTempDir(async (dir) => {
    await project(dir);
    const r = await runCommand(command, ["--deno-version", "2.1.4"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Wrote compose\/docker-compose\.yml and 3 Dockerfile\(s\)\n/);
    const compose = parse(await Deno.readTextFile(join(dir, "compose/docker-compose.yml")));
    // Declared defaults fill variables the deployment does not set.
    assert.equal(compose.services.replay.environment.speed, "1");
    assert.equal(compose.services.normalize.environment.output, "table-data");
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command("docker-compose", {
        args: ["-f", join(dir, "compose/docker-compose.yml"), "config", "-q"],
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (err) {
      if (Deno.env.get("SA_REQUIRE_CLIENTS") === "1") throw err;
      console.log(`skipped docker-compose config: ${err instanceof Error ? err.message : err}`);
      return;
    }
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  });
});

Deno.test("sa compose validates before writing", async () => {
  await withTempDir(async (dir) => {
    let r = await runCommand(command, [], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no sa\.yaml/);
    await project(dir);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      SA_YAML.replace(
        "- { name: input, inputType: InputTopic",
        "- { name: inptu, inputType: InputTopic",
      ),
    );
    r = await runCommand(command, [], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /deployment "normalize": variable "inptu" is not declared by its app/);
    await assert.rejects(() => Deno.stat(join(dir, "compose")), Deno.errors.NotFound);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - {name: Console, application: apps/replay.ts}\n",
    );
    r = await runCommand(command, [], dir);
    assert.match(
      r.stderr,
      /deployment "Console": its compose service name "console" is already taken/,
    );
    r = await runCommand(command, ["--deno-version", "a b"], dir);
    assert.equal(r.code, 2);
  });
});

Deno.test("sa compose names the Compose that is installed, and what to do without one", async () => {
  await withTempDir(async (dir) => {
    await project(dir);
    const bin = join(dir, "bin");
    await Deno.mkdir(bin);
    const tool = async (name: string) => {
      await Deno.writeTextFile(join(bin, name), "#!/bin/sh\nexit 0\n");
      await Deno.chmod(join(bin, name), 0o755);
    };
    const run = async () => (await runCommand(command, [], dir, { PATH: bin })).stdout;
    assert.equal(
      await run(),
      "Wrote compose/docker-compose.yml and 3 Dockerfile(s)\nDocker Compose is not installed " +
        "here (neither `docker compose` nor `docker-compose`); install Docker, or run the " +
        "pipeline without it: `sa up`\n",
    );
    await tool("docker-compose");
    assert.match(
      await run(),
      /\nRun: docker-compose -f compose\/docker-compose\.yml up --build\n$/,
    );
    await tool("docker");
    assert.match(
      await run(),
      /\nRun: docker compose -f compose\/docker-compose\.yml up --build\n$/,
    );
  });
});

Deno.test("generateCompose: a replay that ends (loop=false) is not restarted; the toolkit path is relative and configurable", () => {
  const yaml = `deployments:
  - name: once
    application: apps/replay.ts
    variables:
      - { name: loop, inputType: FreeText, value: "false" }
  - name: forever
    application: apps/replay.ts
    variables:
      - { name: loop, inputType: FreeText, value: "true" }
`;
  const files = generateCompose({
    pipeline: parsePipeline(yaml, "/home/me/proj/sa.yaml"),
    apps: [],
    toolkitDir: "/home/me/sa",
    denoVersion: "2.1.4",
  });
  const compose = parse(files["compose/docker-compose.yml"]);
  assert.equal(compose.services.once.restart, "no");
  assert.equal(compose.services.forever.restart, "unless-stopped");
  assert.deepEqual(compose.services.once.volumes, [
    "${SA_TOOLKIT:-../../sa}:/sa:ro",
    "/dev/null:/app/.env",
  ]);
  assert.ok(!files["compose/docker-compose.yml"].includes("/home/me"));
});

Deno.test("generateCompose: secrets pass by reference to their secretKey, never by value; sa.yaml's connection settings are not baked in", () => {
  const yaml = `deployments:
  - name: gw
    application: apps/gateway.ts
    variables:
      - { name: token, inputType: Secret, secretKey: GATEWAY_TOKEN }
      - { name: SA_SASL_PASSWORD, inputType: Secret, secretKey: CLUSTER_PASSWORD }
      - { name: SA_SECURITY_PROTOCOL, inputType: FreeText, value: SASL_SSL }
      - { name: SA_SASL_USERNAME, inputType: FreeText, value: alice }
`;
  const files = generateCompose({
    pipeline: parsePipeline(yaml, "/home/me/proj/sa.yaml"),
    apps: [],
    toolkitDir: "/home/me/sa",
    denoVersion: "2.1.4",
  });
  const env = parse(files["compose/docker-compose.yml"]).services.gw.environment;
  assert.equal(env.token, "${GATEWAY_TOKEN:-}");
  assert.equal(env.SA_SASL_PASSWORD, "${CLUSTER_PASSWORD:-}");
  // The stack's own Redpanda is plaintext: the cluster's settings come only from the shell.
  assert.equal(env.SA_SECURITY_PROTOCOL, "${SA_SECURITY_PROTOCOL:-}");
  assert.equal(env.SA_SASL_USERNAME, "${SA_SASL_USERNAME:-}");
  assert.ok(!files["compose/docker-compose.yml"].includes("alice"));
});
