import assert from "node:assert/strict";
import type { AppVariable } from "../../lib/stream/define_app.ts";
import type { Deployment } from "../../lib/project/pipeline.ts";
import { checkDeploymentVariables, resolveVariables } from "../../lib/project/variables.ts";

const declared: AppVariable[] = [
  { name: "input", inputType: "InputTopic", defaultValue: "raw-data", required: true },
  { name: "output", inputType: "OutputTopic", defaultValue: "table-data", required: true },
  { name: "token", inputType: "Secret", required: true },
  { name: "note", inputType: "FreeText" },
];

function deployment(variables: Deployment["variables"]): Deployment {
  return {
    name: "normalize",
    application: "apps/normalize.ts",
    deploymentType: "Service",
    replicas: 1,
    disabled: false,
    desiredStatus: "Running",
    variables,
    allowNet: [],
  };
}

Deno.test("resolveVariables: process env > .env > pipeline > default", () => {
  const d = deployment([
    { name: "input", value: "from-pipeline" },
    { name: "output", value: "out-pipeline" },
    { name: "token", value: "" },
  ]);
  const r = resolveVariables({
    declared,
    deployment: d,
    dotenv: { input: "from-dotenv", token: "s3cret" },
    processEnv: { input: "from-env" },
  });
  assert.deepEqual(r.values, { input: "from-env", output: "out-pipeline", token: "s3cret" });
  assert.deepEqual(r.sources, { input: "env", output: "pipeline", token: ".env" });
  assert.deepEqual(r.missing, []);

  const r2 = resolveVariables({ declared, deployment: d, dotenv: { input: "" }, processEnv: {} });
  assert.deepEqual(r2.values, { input: "from-pipeline", output: "out-pipeline" });
  assert.deepEqual(r2.missing.map((v) => v.name), ["token"]);

  const r3 = resolveVariables({ declared, dotenv: {}, processEnv: {} });
  assert.deepEqual(r3.values, { input: "raw-data", output: "table-data" });
  assert.deepEqual(r3.sources, { input: "default", output: "default" });
});

Deno.test("resolveVariables: an explicitly empty process env value wins but is missing", () => {
  const r = resolveVariables({ declared, dotenv: {}, processEnv: { input: "" } });
  assert.equal(r.values.input, "");
  assert.deepEqual(r.missing.map((v) => v.name), ["input", "token"]);
});

Deno.test("resolveVariables: pipeline names match case-insensitively", () => {
  const r = resolveVariables({
    declared,
    deployment: deployment([{ name: "INPUT", value: "x" }]),
    dotenv: {},
    processEnv: {},
  });
  assert.equal(r.values.input, "x");
});

Deno.test("checkDeploymentVariables names undeclared and mistyped variables", () => {
  const problems = checkDeploymentVariables(
    deployment([
      { name: "input", inputType: "OutputTopic", value: "a" },
      { name: "ouput", value: "b" },
      { name: "note", inputType: "FreeText" },
    ]),
    declared,
  );
  assert.deepEqual(problems, [
    'deployment "normalize": variable "input" is OutputTopic in the pipeline but InputTopic in its app; ' +
    "run `sa pipeline update` to take the app's type",
    'deployment "normalize": variable "ouput" is not declared by its app (declared: input, output, token, note); ' +
    "remove it from the pipeline file or run `sa pipeline update --prune`",
  ]);
});

Deno.test("resolveVariables: a deployment's secretKey is read from the environment or .env, below .env's own", () => {
  const d = deployment([
    { name: "input", value: "raw-data" },
    { name: "token", inputType: "Secret", secretKey: "GATEWAY_TOKEN" },
  ]);
  const secrets: Record<string, string> = { GATEWAY_TOKEN: "t0k" };
  const r = resolveVariables({
    declared,
    deployment: d,
    dotenv: {},
    processEnv: {},
    secrets: (k) => secrets[k],
  });
  assert.equal(r.values.token, "t0k");
  assert.equal(r.sources.token, "secretKey");
  const unset = resolveVariables({ declared, deployment: d, dotenv: {}, processEnv: {} });
  assert.deepEqual(unset.missing.map((v) => v.name), ["token"]);
  // Connection settings are the runtime's, not undeclared app variables.
  const secured = deployment([{ name: "SA_SASL_USERNAME", value: "alice" }]);
  assert.deepEqual(checkDeploymentVariables(secured, declared), []);
});
