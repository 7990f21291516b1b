/** Issue 11: connection security carried by sa.yaml (Quix v1 variables, secrets by secretKey). */
import assert from "node:assert/strict";
import { parsePipeline, type PipelineError } from "../../lib/project/pipeline.ts";
import {
  deploymentSecurity,
  isSecurityVariable,
  secretKeys,
  sharedSecurity,
} from "../../lib/project/connection.ts";

const SECURED = `deployments:
  - name: normalize
    application: apps/normalize.ts
    variables:
      - name: SA_SECURITY_PROTOCOL
        inputType: FreeText
        value: SASL_SSL
      - name: SA_SASL_MECHANISM
        inputType: FreeText
        value: SCRAM-SHA-256
      - name: SA_SASL_USERNAME
        inputType: FreeText
        value: alice
      - name: SA_SASL_PASSWORD
        inputType: Secret
        secretKey: CLUSTER_PASSWORD
      - name: SA_SSL_CA_LOCATION
        inputType: FreeText
        value: certs/ca.crt
  - name: replay
    application: apps/replay.ts
    variables:
      - name: SA_SASL_USERNAME
        value: bob
`;

Deno.test("sa.yaml carries the connection settings; the password only by secretKey", () => {
  const p = parsePipeline(SECURED, "/proj/sa.yaml");
  const [normalize, replay] = p.deployments;
  const pw = normalize.variables.find((v) => v.name === "SA_SASL_PASSWORD")!;
  assert.equal(pw.value, undefined);
  assert.equal(pw.secretKey, "CLUSTER_PASSWORD");
  assert.equal(pw.secretKeyAt, "sa.yaml:16:20");
  const env: Record<string, string> = { CLUSTER_PASSWORD: "s3cret" };
  const r = deploymentSecurity(normalize, (k) => env[k], "/proj");
  assert.deepEqual(r, {
    values: {
      SA_SECURITY_PROTOCOL: "SASL_SSL",
      SA_SASL_MECHANISM: "SCRAM-SHA-256",
      SA_SASL_USERNAME: "alice",
      SA_SASL_PASSWORD: "s3cret",
      SA_SSL_CA_LOCATION: "/proj/certs/ca.crt",
    },
    missing: [],
  });
  // The key not set anywhere: named with its place in sa.yaml, never guessed.
  const none = deploymentSecurity(normalize, () => undefined, "/proj");
  assert.deepEqual(none.missing, ["SA_SASL_PASSWORD (secretKey CLUSTER_PASSWORD, sa.yaml:16:20)"]);
  assert.equal(none.values.SA_SASL_PASSWORD, undefined);
  assert.deepEqual(secretKeys(p), ["CLUSTER_PASSWORD"]);
  // What the deployments share: the username differs, so it is left out.
  const shared = sharedSecurity(p.deployments);
  assert.deepEqual(shared.conflicts, ["SA_SASL_USERNAME"]);
  assert.deepEqual(Object.keys(shared.values), [
    "SA_SECURITY_PROTOCOL",
    "SA_SASL_MECHANISM",
    "SA_SSL_CA_LOCATION",
  ]);
  assert.equal(deploymentSecurity(replay, () => undefined, "/proj").values.SA_SASL_USERNAME, "bob");
  assert.ok(isSecurityVariable("SA_SSL_KEY_LOCATION"));
  assert.ok(!isSecurityVariable("output"));
});

Deno.test("a secret's value in sa.yaml is refused at its line, with what to write instead", () => {
  const withValue = SECURED.replace(
    "        secretKey: CLUSTER_PASSWORD",
    "        value: s3cret",
  );
  assert.throws(() => parsePipeline(withValue, "/proj/sa.yaml"), (e: PipelineError) => {
    assert.equal(
      e.message,
      'sa.yaml:16:16: deployment "normalize": variable "SA_SASL_PASSWORD" is a secret: sa.yaml ' +
        'is committed, so its value never goes there; write "secretKey: SA_SASL_PASSWORD" ' +
        "instead and set SA_SASL_PASSWORD in .env or the environment",
    );
    assert.doesNotMatch(e.message, /s3cret/);
    return true;
  });
  // Also without inputType: the password is a secret by name; and any Secret variable.
  const untyped = `deployments:
  - name: a
    application: a.ts
    variables:
      - name: SA_SASL_PASSWORD
        value: x
      - name: token
        inputType: Secret
        value: y
`;
  assert.throws(
    () => parsePipeline(untyped, "/p/sa.yaml"),
    /^PipelineError: sa\.yaml:6:16: .*"SA_SASL_PASSWORD" is a secret/,
  );
  assert.throws(
    () => parsePipeline(untyped.replace("SA_SASL_PASSWORD", "other"), "/p/sa.yaml"),
    /sa\.yaml:9:16: deployment "a": variable "token" is a secret/,
  );
});

Deno.test("a connection setting that cannot work is refused at its line", () => {
  assert.throws(
    () => parsePipeline(SECURED.replace("value: SCRAM-SHA-256", "value: SCRAM"), "/p/sa.yaml"),
    /sa\.yaml:10:16: deployment "normalize": variable "SA_SASL_MECHANISM": "SCRAM" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512/,
  );
  assert.throws(
    () => parsePipeline(SECURED.replace("value: SASL_SSL", "value: TLS"), "/p/sa.yaml"),
    /sa\.yaml:7:16: .*"SA_SECURITY_PROTOCOL": "TLS" is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/,
  );
  assert.throws(
    () =>
      parsePipeline(
        SECURED.replace("secretKey: CLUSTER_PASSWORD", "secretKey: $(whoami)"),
        "/p/sa.yaml",
      ),
    /sa\.yaml:16:20: .*secretKey "\$\(whoami\)" must be a variable name/,
  );
});
