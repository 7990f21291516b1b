/**
 * The README's episode-2 section, followed in a fresh project: episode 1 as the walkthrough
 * leaves it (replay + the documented normalize), then the section's `sa apps create` and
 * `sa pipeline update` lines as written, `sa up`, and its `sa consume` lines.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as init } from "../../lib/cli/init.ts";
import { command as apps } from "../../lib/cli/apps.ts";
import { command as pipelineCmd } from "../../lib/cli/pipeline.ts";
import { command as consume } from "../../lib/cli/consume.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { type Captured, runCommand, withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";

const DOC = new URL("../../README.md", import.meta.url);

/** The `sa ...` lines of the README's episode-2 shell block, comments removed. */
async function episode2Lines(): Promise<string[][]> {
  const text = await Deno.readTextFile(DOC);
  const section = text.slice(text.indexOf("## Episode 2"));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert(block, "README.md has no episode-2 shell block");
  return block[1].split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter((l) =>
    l.startsWith("sa ")
  ).map((l) => l.split(/\s+/).slice(1));
}

async function documentedNormalize(): Promise<string> {
  const text = await Deno.readTextFile(DOC);
  const m = /```ts\n(import \{ Application, defineApp \}[\s\S]*?)```/.exec(text);
  assert(m, "README.md has no normalize code block");
  return m[1];
}

Deno.test("episode 2 walkthrough: the README's commands in a fresh project give odometer and per-sensor rows", async () => {
  const lines = await episode2Lines();
  assert.deepEqual(lines.map((l) => l.slice(0, 2).join(" ")), [
    "apps create",
    "apps create",
    "apps create",
    "apps create",
    "pipeline update",
    "up",
    "consume odometer",
    "consume sensor-counts",
  ]);
  await withTempDir(async (tmp) => {
    const ok = async (r: Promise<Captured>) => {
      const res = await r;
      assert.equal(res.code, 0, res.stderr);
      return res;
    };
    // Episode 1, as its walkthrough leaves the project.
    await ok(runCommand(init, ["course"], tmp));
    const dir = join(tmp, "course");
    await ok(runCommand(apps, ["create", "replay", "-p", "apps/replay.ts"], dir));
    await ok(
      runCommand(apps, ["create", "starter-transformation", "-p", "apps/normalize.ts"], dir),
    );
    await Deno.writeTextFile(join(dir, "apps/normalize.ts"), await documentedNormalize());

    // Episode 2, line by line.
    for (const args of lines.filter((l) => l[0] === "apps")) {
      await ok(runCommand(apps, args.slice(1), dir));
    }
    const updated = await ok(runCommand(pipelineCmd, ["update"], dir));
    assert.match(updated.stdout, /added .*group_by.*odometer/);
    // Only for the test's time: replay once, as fast as possible.
    const yaml = await Deno.readTextFile(join(dir, "sa.yaml"));
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      yaml.replace(/(name: speed\n(?:\s+\w+: .*\n)*?\s+value: )"?1"?/, "$10")
        .replace(/(name: loop\n(?:\s+\w+: .*\n)*?\s+value: )"?true"?/, "$1false"),
    );
    const up = spawnSa(["up", "--port", "0"], dir);
    try {
      await up.waitFor((_o, err) => /ready in/.test(err), 60_000);
      const status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
      const address = status.broker.address;
      assert.deepEqual(
        status.deployments.map((d: { name: string }) => d.name).sort(),
        ["group_by", "normalize", "normalize_windowed", "odometer", "replay", "windows"],
      );
      const admin = kafkaFor(address).admin();
      await admin.connect();
      try {
        for (const args of lines.filter((l) => l[0] === "consume")) {
          const topic = args[1];
          // Wait for rows, then the README's command prints them and stops at the end (-e).
          const end = Date.now() + 60_000;
          for (;;) {
            const offs = await admin.fetchTopicOffsets(topic).catch(() => []);
            if (offs.some((o) => Number(o.high) > 0)) break;
            assert(Date.now() < end, `no rows in ${topic}:\n${up.stderr()}`);
            await new Promise((r) => setTimeout(r, 200));
          }
          const r = await ok(runCommand(consume, [...args.slice(1), "--broker", address], dir));
          const [header, ...rows] = r.stdout.trimEnd().split("\n");
          assert(rows.length > 0, topic);
          if (topic === "odometer") {
            assert.match(header, /KEY +time +latitude +longitude +step +total$/);
          } else {
            assert.match(header, /KEY +sensor +start +end +readings$/);
            assert.match(rows[0], /accelerometer|gyroscope|location|battery/);
          }
        }
      } finally {
        await admin.disconnect();
      }
    } finally {
      const st = await up.kill("SIGINT");
      assert.equal(st.code, 0, up.stderr());
    }
    assert.doesNotMatch(up.stderr(), /crashed|cannot start|type error/, up.stderr());
    // The 2024 event times are kept: declared topics and the repartition topic have no
    // time retention.
    assert.doesNotMatch(up.stderr(), /already older than retention/, up.stderr());
  });
});
