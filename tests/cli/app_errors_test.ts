/**
 * Items 4 and 8 of issue 14: a callback error names the student's file:line:col and the
 * input message once, says how to skip the message, and `sa up` says so on a crash loop.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as run } from "../../lib/cli/run.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { kafka, spawnSa, tempBroker } from "../apps/_helpers.ts";

const MOD_URL = new URL("../../mod.ts", import.meta.url).href;

/** An app that throws on the record {"n":3}; line 9 column 28 is the `throw`'s `new`. */
const POISON = `import { Application, defineApp } from "${MOD_URL}";
export default defineApp({
  name: "poison",
  variables: [{ name: "input", inputType: "InputTopic", defaultValue: "raw" }],
  async main(vars) {
    const app = new Application({ consumerGroup: "poison", autoOffsetReset: "earliest" });
    const sdf = app.dataframe(app.topic(vars.input));
    sdf.apply((v: { n: number }) => {
      if (v.n === 3) throw new Error("boom " + v.n);
      return v;
    });
    await app.run();
  },
});
`;

async function produceNumbers(address: string, topic = "raw"): Promise<void> {
  const p = kafka(address).producer();
  await p.connect();
  await p.send({ topic, messages: [1, 2, 3, 4].map((n) => ({ value: JSON.stringify({ n }) })) });
  await p.disconnect();
}

Deno.test("sa run: a callback error names apps/poison.ts:9:28 and raw[0]@2 once, and how to skip it", async () => {
  const broker = await tempBroker();
  try {
    await produceNumbers(broker.address);
    await withTempDir(async (dir) => {
      await Deno.mkdir(join(dir, "apps"));
      await Deno.writeTextFile(join(dir, "apps/poison.ts"), POISON);
      const r = await runCommand(run, ["apps/poison.ts", "--broker", broker.address], dir);
      assert.equal(r.code, 1);
      const lines = r.stderr.split("\n");
      assert.deepEqual(lines.slice(-3), [
        "sa run: apps/poison.ts:9:28: processing raw[0]@2 failed: boom 3",
        "sa run: to skip that message, run `sa reset <group> --topic raw --partition 0 " +
        "--to-offset 3` while the app is stopped (<group> is its consumer group: `sa groups` " +
        "lists them), or give its Application a deadLetterTopic",
        "",
      ]);
    });
  } finally {
    await broker.close();
  }
});

Deno.test("sa up: a crash loop on the same message says how to skip it", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "apps"));
    await Deno.writeTextFile(join(dir, "apps/poison.ts"), POISON);
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: poison\n    application: apps/poison.ts\n",
    );
    const proc = spawnSa(["up", "--port", "0"], dir);
    try {
      await proc.waitFor((_o, err) => /ready in \d+ ms/.test(err));
      const status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
      await produceNumbers(status.broker.address);
      await proc.waitFor((_o, err) => /crashed on raw\[0\]@2 again/.test(err), 20_000);
    } finally {
      const st = await proc.kill("SIGINT");
      assert.equal(st.code, 0, proc.stderr());
    }
    const crashes = proc.stderr().split("\n").filter((l) => l.includes("crashed:"));
    assert.equal(
      crashes[0],
      "poison | ERROR crashed: apps/poison.ts:9:28: processing raw[0]@2 failed: boom 3; " +
        "restarting in 1.0 s",
    );
    assert.equal(
      crashes[1],
      "poison | ERROR crashed: apps/poison.ts:9:28: processing raw[0]@2 failed: boom 3; " +
        "restarting in 2.0 s. It crashed on raw[0]@2 again: to skip that message, run " +
        "`sa reset <group> --topic raw --partition 0 --to-offset 3` while the app is stopped " +
        "(<group> is its consumer group: `sa groups` lists them), or give its Application a " +
        "deadLetterTopic",
    );
  });
});

Deno.test("sa up: an error in the app's own setup is not restarted in a loop", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(join(dir, "apps"));
    await Deno.writeTextFile(
      join(dir, "apps/typo.ts"),
      `import { Application, defineApp } from "${MOD_URL}";
export default defineApp({
  name: "typo",
  variables: [],
  async main(_vars, signal) {
    const app = new Application({ consumerGroup: "typo" });
    // deno-lint-ignore no-explicit-any
    (app.dataframe(app.topic("raw")) as any).projec(["x"]);
    await app.run({ signal });
  },
});
`,
    );
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      "deployments:\n  - name: typo\n    application: apps/typo.ts\n",
    );
    const proc = spawnSa(["up", "--port", "0", "--no-type-check"], dir);
    try {
      await proc.waitFor((_o, err) => /not restarted/.test(err));
      const status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
      assert.equal(status.deployments[0].state, "failed");
    } finally {
      const st = await proc.kill("SIGINT");
      assert.equal(st.code, 0, proc.stderr());
    }
    assert.match(
      proc.stderr(),
      /\ntypo +\| ERROR crashed: apps\/typo\.ts:8:46: TypeError: app\.dataframe\(\.\.\.\)\.projec is not a function; not restarted, as a restart cannot fix this: fix the app, then `sa restart typo`\n/,
    );
    assert.doesNotMatch(proc.stderr(), /restarting in/);
  });
});
