import assert from "node:assert/strict";
import { join } from "node:path";
import { command } from "../../lib/cli/vars.ts";
import { readDotEnv } from "../../lib/project/env.ts";
import { runCommand, withTempDir, writeReplayNormalize } from "./_helpers.ts";

Deno.test("sa vars export writes grouped, commented variables and the broker settings", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    const r = await runCommand(command, ["export"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "Wrote 5 variable(s) of 2 app(s) to .env\n");
    // output is wanted as raw-data by replay and table-data by normalize: never set flat.
    assert.match(
      r.stderr,
      /^warning: output differs between apps \(normalize=table-data, replay=raw-data\)/,
    );
    const text = await Deno.readTextFile(join(dir, ".env"));
    assert.match(
      text,
      /### sa configuration ###\nSA_BROKER=localhost:19092\nQuix__Broker__Address=localhost:19092\n/,
    );
    assert.match(
      text,
      /### normalize \(apps\/normalize\.ts\) ###\n# input: InputTopic, required\ninput=raw-data\n/,
    );
    assert.match(text, /# output=table-data {2}\(normalize\)\n# output=raw-data {2}\(replay\)\n/);
    assert.match(
      text,
      /### replay \(apps\/replay\.ts\) ###\n# output: OutputTopic, required\. Where to write \(see above\)\n/,
    );
    const values = await readDotEnv(join(dir, ".env"));
    assert.deepEqual(values, {
      SA_BROKER: "localhost:19092",
      Quix__Broker__Address: "localhost:19092",
      input: "raw-data",
      token: "",
      speed: "1",
    });
  });
});

Deno.test("sa vars export keeps edited values and untracked keys unless --reset", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    await Deno.writeTextFile(
      join(dir, ".env"),
      "SA_BROKER=remote:9092\ninput=my-topic\nspeed=0\nEXTRA='a b'\n",
    );
    assert.equal((await runCommand(command, ["export", "normalize"], dir)).code, 0);
    let values = await readDotEnv(join(dir, ".env"));
    assert.equal(values.SA_BROKER, "remote:9092");
    assert.equal(values.input, "my-topic");
    assert.equal(values.output, "table-data"); // one app exported: no conflict
    assert.equal(values.speed, "0"); // another app's value: kept as untracked
    assert.equal(values.EXTRA, "a b");

    assert.equal((await runCommand(command, ["export", "normalize", "--reset"], dir)).code, 0);
    values = await readDotEnv(join(dir, ".env"));
    assert.equal(values.input, "raw-data");
    assert.equal(values.SA_BROKER, "remote:9092");
    assert.equal(values.EXTRA, "a b");
  });
});

Deno.test("sa vars export uses the pipeline deployment's values", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: norm\n    application: apps/normalize.ts\n    variables:\n      - {name: output, value: clean}\n",
    );
    const r = await runCommand(command, ["export", "norm"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await readDotEnv(join(dir, ".env"))).output, "clean");
  });
});

Deno.test("sa vars list shows values and their sources, masking secrets", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    await Deno.writeTextFile(join(dir, ".env"), "input=from-dotenv\ntoken=hush\n");
    const r = await runCommand(command, ["list", "normalize"], dir, { output: "from-env" });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "APP        VARIABLE  TYPE         VALUE        SOURCE\n" +
        "normalize  input     InputTopic   from-dotenv  .env\n" +
        "normalize  output    OutputTopic  from-env     env\n" +
        "normalize  token     Secret       ********     .env\n",
    );
  });
});

Deno.test("sa vars: error paths name the cause", async () => {
  await withTempDir(async (dir) => {
    let r = await runCommand(command, ["export"], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no apps found/);
    await writeReplayNormalize(dir);
    r = await runCommand(command, ["export", "nope"], dir);
    assert.match(
      r.stderr,
      /^sa vars: no app "nope" in this project \(apps: normalize, replay\)\n$/,
    );
    r = await runCommand(command, ["frobnicate"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown subcommand "frobnicate"/);
    // A deployment setting an undeclared variable: named with what is wrong, nothing written.
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: norm\n    application: apps/normalize.ts\n    variables:\n      - {name: ouput, value: x}\n",
    );
    r = await runCommand(command, ["export"], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /deployment "norm": variable "ouput" is not declared by its app/);
    await assert.rejects(() => Deno.stat(join(dir, ".env")), Deno.errors.NotFound);
    // A deployment whose app is missing.
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: ghost\n    application: apps/ghost.ts\n",
    );
    r = await runCommand(command, ["export"], dir);
    assert.match(r.stderr, /deployment "ghost": apps\/ghost\.ts: app module not found/);
    // Invalid YAML: file:line:col.
    await Deno.writeTextFile(join(dir, "sa.yaml"), "deployments:\n  - name: [\n");
    r = await runCommand(command, ["export"], dir);
    assert.match(r.stderr, /^sa vars: sa\.yaml:\d+:\d+: /);
  });
});

Deno.test("sa vars export: security settings from the environment go to .env only, never to the output", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    const r = await runCommand(command, ["export"], dir, {
      SA_SECURITY_PROTOCOL: "SASL_SSL",
      SA_SASL_MECHANISM: "PLAIN",
      SA_SASL_USERNAME: "APIKEY",
      SA_SASL_PASSWORD: "top secret",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, /top secret/);
    const text = await Deno.readTextFile(join(dir, ".env"));
    assert.match(text, /\nSA_SASL_PASSWORD='top secret'\n/);
    assert.match(text, /\n# SA_SSL_CA_LOCATION=certs\/ca\.crt\n/);
    const values = await readDotEnv(join(dir, ".env"));
    assert.equal(values.SA_SECURITY_PROTOCOL, "SASL_SSL");
    assert.equal(values.SA_SASL_PASSWORD, "top secret");
    // A second export without the environment keeps them (not duplicated as untracked).
    assert.equal((await runCommand(command, ["export"], dir)).code, 0);
    const again = await Deno.readTextFile(join(dir, ".env"));
    assert.equal(again.match(/SA_SASL_PASSWORD=/g)?.length, 1);
    assert.equal((await readDotEnv(join(dir, ".env"))).SA_SASL_USERNAME, "APIKEY");
  });
});

Deno.test("sa vars export: sa.yaml's connection settings reach .env for the CLI; secretKeys get a line, their values only there", async () => {
  await withTempDir(async (dir) => {
    await writeReplayNormalize(dir);
    const yaml = `deployments:
  - name: normalize
    application: apps/normalize.ts
    variables:
      - {name: token, inputType: Secret, secretKey: NORMALIZE_TOKEN}
      - {name: SA_SECURITY_PROTOCOL, value: SASL_SSL}
      - {name: SA_SASL_MECHANISM, value: SCRAM-SHA-512}
      - {name: SA_SASL_USERNAME, value: alice}
      - {name: SA_SASL_PASSWORD, inputType: Secret, secretKey: SA_SASL_PASSWORD}
      - {name: SA_SSL_CA_LOCATION, value: certs/ca.crt}
`;
    await Deno.writeTextFile(join(dir, "sa.yaml"), yaml);
    const r = await runCommand(command, ["export"], dir, {
      SA_SASL_PASSWORD: "pw-from-env",
      NORMALIZE_TOKEN: "tok-from-env",
    });
    assert.equal(r.code, 0, r.stderr);
    // No warning that the connection settings are undeclared app variables.
    assert.doesNotMatch(r.stderr, /not declared/);
    assert.doesNotMatch(r.stdout + r.stderr, /pw-from-env|tok-from-env/);
    const values = await readDotEnv(join(dir, ".env"));
    assert.equal(values.SA_SECURITY_PROTOCOL, "SASL_SSL");
    assert.equal(values.SA_SASL_MECHANISM, "SCRAM-SHA-512");
    assert.equal(values.SA_SASL_USERNAME, "alice");
    assert.equal(values.SA_SSL_CA_LOCATION, "certs/ca.crt");
    assert.equal(values.SA_SASL_PASSWORD, "pw-from-env");
    assert.equal(values.NORMALIZE_TOKEN, "tok-from-env");
    const text = await Deno.readTextFile(join(dir, ".env"));
    assert.match(
      text,
      /\n### Secrets \(secretKey in sa\.yaml\) ###\nNORMALIZE_TOKEN=tok-from-env\n/,
    );
    // sa.yaml is left as it was: no secret written there.
    assert.equal(await Deno.readTextFile(join(dir, "sa.yaml")), yaml);
    // vars list resolves the secretKey and masks it.
    const l = await runCommand(command, ["list", "normalize"], dir);
    assert.match(l.stdout, /\nnormalize +token +Secret +\*{8} +secretKey\n/);
    assert.doesNotMatch(l.stdout, /tok-from-env/);
    // Without the environment the keys still get an empty line to fill in.
    await Deno.remove(join(dir, ".env"));
    assert.equal((await runCommand(command, ["export"], dir)).code, 0);
    const empty = await Deno.readTextFile(join(dir, ".env"));
    assert.match(empty, /\nSA_SASL_PASSWORD=\n/);
    assert.match(empty, /\nNORMALIZE_TOKEN=\n/);
  });
});
