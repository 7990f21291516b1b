import assert from "node:assert/strict";
import { join } from "node:path";
import { brokerAddress, pickBroker } from "../../lib/cli/_kafka.ts";
import { captureEnv, withTempDir } from "./_helpers.ts";

Deno.test("pickBroker: --broker, then the environment, then .env, then the default; empty is unset", () => {
  const env = { SA_BROKER: "env-sa:1", Quix__Broker__Address: "env-quix:2" };
  const dotenv = { SA_BROKER: "dot-sa:3", Quix__Broker__Address: "dot-quix:4" };
  assert.deepEqual(pickBroker("flag:9", env, dotenv), { address: "flag:9", source: "--broker" });
  assert.deepEqual(pickBroker(undefined, env, dotenv), {
    address: "env-sa:1",
    source: "SA_BROKER in the environment",
  });
  assert.deepEqual(pickBroker(undefined, { Quix__Broker__Address: "env-quix:2" }, dotenv), {
    address: "env-quix:2",
    source: "Quix__Broker__Address in the environment",
  });
  assert.deepEqual(pickBroker(undefined, { SA_BROKER: "" }, dotenv), {
    address: "dot-sa:3",
    source: "SA_BROKER in the .env",
  });
  assert.deepEqual(pickBroker(undefined, {}, { Quix__Broker__Address: "dot-quix:4" }), {
    address: "dot-quix:4",
    source: "Quix__Broker__Address in the .env",
  });
  assert.deepEqual(pickBroker(undefined, {}, {}), {
    address: "localhost:19092",
    source: "the default",
  });
});

Deno.test("brokerAddress: the inspection commands pick the broker like sa run, then check it", async () => {
  await withTempDir(async (dir) => {
    assert.equal(await brokerAddress(undefined, captureEnv(dir)), "localhost:19092");
    await Deno.writeTextFile(join(dir, ".env"), "SA_BROKER=from-dotenv:9092\n");
    assert.equal(await brokerAddress(undefined, captureEnv(dir)), "from-dotenv:9092");
    assert.equal(
      await brokerAddress(undefined, captureEnv(dir, { SA_BROKER: "from-env:9092" })),
      "from-env:9092",
    );
    assert.equal(await brokerAddress("a:1,b:2", captureEnv(dir)), "a:1,b:2");
    await assert.rejects(
      () => brokerAddress(undefined, captureEnv(dir, { Quix__Broker__Address: "nohostport" })),
      /invalid broker address "nohostport": expected host:port/,
    );
  });
});
