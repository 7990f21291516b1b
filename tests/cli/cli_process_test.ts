/**
 * The real `sa` entry point as a process: `deno task sa` acts on the invocation directory
 * (INIT_CWD), and `sa produce` reads stdin.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { withBroker } from "./_broker.ts";
import { withTempDir } from "./_helpers.ts";

const CONFIG = fileURLToPath(new URL("../../deno.json", import.meta.url));
const CLI = fileURLToPath(new URL("../../cli.ts", import.meta.url));

async function sa(
  args: string[],
  cwd: string,
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    // A stale INIT_CWD from an outer `deno task test` must not leak into the nested task.
    env: { NO_COLOR: "1", INIT_CWD: cwd },
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("deno task --config <toolkit>/deno.json sa init . creates the project where it is invoked", async () => {
  await withTempDir(async (dir) => {
    const r = await sa(["task", "--quiet", "--config", CONFIG, "sa", "init", "."], dir);
    assert.equal(r.code, 0, r.stderr);
    assert((await Deno.stat(join(dir, "sa.yaml"))).isFile);
    const again = await sa(["task", "--quiet", "--config", CONFIG, "sa", "init", "."], dir);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /sa init: sa\.yaml, \.gitignore, \.env, deno\.json, README\.md already exist/,
    );
  });
});

Deno.test("sa produce reads stdin; sa consume prints it back", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const run = ["run", "-A", "--unstable-worker-options", "--config", CONFIG, CLI];
      let r = await sa(
        [...run, "produce", "lines", "-k", "k", "-b", address],
        dir,
        "one\ntwo\n\nthree\n",
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "Produced 3 message(s) to lines\n");
      r = await sa(
        [
          ...run,
          "consume",
          "lines",
          "--from-beginning",
          "-n",
          "3",
          "--format",
          "raw",
          "-b",
          address,
        ],
        dir,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "one\ntwo\nthree\n");
      // kafkajs' idle timers used to print a Node TimeoutNegativeWarning on every run.
      assert.doesNotMatch(r.stderr, /TimeoutNegativeWarning/);
    })
  );
});
