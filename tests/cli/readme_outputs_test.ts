/**
 * Item 14 of issue 14: what the README says the replay template prints, and its recording, are
 * what a student's project really gets.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as init } from "../../lib/cli/init.ts";
import { command as apps } from "../../lib/cli/apps.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { withBroker } from "./_broker.ts";
import { spawnSa } from "../apps/_helpers.ts";

const README = new URL("../../README.md", import.meta.url);

/** The episode-1 walkthrough's "Step 6 prints" block. */
async function step6(): Promise<string[]> {
  const text = await Deno.readTextFile(README);
  const m = /Step 6 prints[^\n]*\n[^`]*```text\n([\s\S]*?)```/.exec(text);
  assert(m, "README has no 'Step 6 prints' block");
  return m[1].trimEnd().split("\n");
}

Deno.test("README step 6: the template replay's recording, first row and messages are what it prints", async () => {
  const block = await step6();
  const intro = (await Deno.readTextFile(README)).match(/Step 6 prints[^`]*/)![0];
  await withTempDir((tmp) =>
    withBroker(async (address) => {
      assert.equal((await runCommand(init, ["p"], tmp)).code, 0);
      const dir = join(tmp, "p");
      assert.equal(
        (await runCommand(apps, ["create", "replay", "-p", "apps/replay.ts"], dir)).code,
        0,
      );
      const lines = (await Deno.readTextFile(join(dir, "demo_stream.json"))).trimEnd().split(
        "\n",
      );
      // "one synthetic minute, 240 messages from 2024-05-09T12:00:00Z"
      assert.match(intro, new RegExp(`${lines.length} messages`));
      const first = JSON.parse(lines[0]).payload[0].time / 1e6;
      assert.equal(
        new Date(Math.floor(first / 1000) * 1000).toISOString(),
        "2024-05-09T12:00:00.000Z",
      );
      const last = JSON.parse(lines[lines.length - 1]).payload[0].time / 1e6;
      assert.ok(last - first < 60_000 && last - first > 59_000, "one minute");
      // The first shake row shown is the first accelerometer reading above 50.
      const shown = JSON.parse(block.find((l) => l.startsWith("normalize | {"))!.slice(12));
      let firstShake: { time: number; values: { x: number; y: number; z: number } } | undefined;
      for (const l of lines) {
        for (const r of JSON.parse(l).payload) {
          if (r.name !== "accelerometer") continue;
          if (Math.abs(r.values.x) + Math.abs(r.values.y) + Math.abs(r.values.z) > 50) {
            firstShake ??= r;
          }
        }
      }
      assert.equal(shown.time, firstShake!.time);
      assert.equal(shown["accelerometer-x"], firstShake!.values.x);

      // Its messages, run as fast as possible.
      // (sa run's app writes to the process's stdout: run it as a process)
      const p = spawnSa(["run", "apps/replay.ts", "--broker", address, "--no-type-check"], dir, {
        speed: "0",
      });
      const st = await p.status;
      assert.equal(st.code, 0, p.stderr());
      const said = block.filter((l) => l.startsWith("replay    | replay:")).map((l) => l.slice(12));
      assert.deepEqual(said, ["replay: replayed 240 message(s) into raw-data"]);
      assert.equal(p.stdout(), said.join("\n") + "\n");
    })
  );
});
