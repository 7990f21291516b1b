import assert from "node:assert/strict";
import { join } from "node:path";
import { command as ml } from "../../lib/cli/ml.ts";
import { runCommand } from "./_helpers.ts";

Deno.test("sa ml: usage errors name what is wrong", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sa-ml-cli-" });
  try {
    const none = await runCommand(ml, [], dir);
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      /expected a sub-command: sa ml train\|models\|deploy\|report\|promote/,
    );
    const bad = await runCommand(ml, ["retrain"], dir);
    assert.match(bad.stderr, /unknown sub-command "retrain"/);
    const deploy = await runCommand(ml, ["deploy"], dir);
    assert.equal(deploy.code, 2);
    assert.match(deploy.stderr, /expected --variant VERSION=WEIGHT/);
    const weight = await runCommand(ml, ["deploy", "--variant", "3=0"], dir);
    assert.match(weight.stderr, /--variant must be VERSION=WEIGHT with a weight > 0, not "3=0"/);
    const missing = await runCommand(ml, ["train", "--file", "nope.json", "--dry-run"], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^sa ml: cannot read nope.json: /);
    await Deno.writeTextFile(join(dir, "bad.json"), '{"deviceId":"p","payload":[]}\n{oops\n');
    const json = await runCommand(ml, ["train", "--file", "bad.json", "--dry-run"], dir);
    assert.match(json.stderr, /^sa ml: bad.json:2: not valid JSON/);
    await Deno.writeTextFile(join(dir, "empty.json"), '{"deviceId":"p","payload":[]}\n');
    const empty = await runCommand(ml, ["train", "--file", "empty.json", "--dry-run"], dir);
    assert.match(empty.stderr, /no labelled windows in file empty.json/);
    const kind = await runCommand(
      ml,
      [
        "train",
        "--file",
        join(Deno.cwd(), "apps/activity_stream.json"),
        "--kinds",
        "xgb",
        "--dry-run",
      ],
      dir,
    );
    assert.match(kind.stderr, /unknown model kind "xgb"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sa ml train --dry-run prints the metrics and publishes nothing", async () => {
  const file = new URL("../../apps/activity_stream.json", import.meta.url).pathname;
  const r = await runCommand(ml, ["train", "--file", file, "--kinds", "softmax", "--dry-run"], "/");
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^activity v1 \(softmax, seed 1\): held-out accuracy 98\.3% on 181 windows/,
  );
  assert.match(r.stderr, /658 labelled windows from file .*activity_stream.json/);
  assert.match(r.stderr, /dry run: nothing published/);
});
