/** Item 16 of issue 14: consistent help. */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { spawnSa } from "../apps/_helpers.ts";
import { withTempDir } from "./_helpers.ts";

const COMMANDS = [
  "init",
  "apps",
  "vars",
  "pipeline",
  "up",
  "down",
  "stop",
  "start",
  "restart",
  "status",
  "logs",
  "run",
  "broker",
  "topics",
  "produce",
  "consume",
  "groups",
  "lag",
  "reset",
  "compose",
];

async function sa(args: string[]) {
  return await withTempDir(async (dir) => {
    const p = spawnSa(args, dir);
    const st = await p.status;
    return { code: st.code, stdout: p.stdout(), stderr: p.stderr() };
  });
}

/** The options a command's parser accepts, read from its source: [long, short?]. */
function declaredOptions(name: string): [string, string | undefined][] {
  const file = ["stop", "start", "restart"].includes(name) ? "_control" : name;
  const src = Deno.readTextFileSync(
    fileURLToPath(new URL(`../../lib/cli/${file}.ts`, import.meta.url)),
  );
  const opts = [
    ...src.matchAll(/[\s{,]"?([a-z][a-z-]*)"?: \{ type: "(?:string|boolean)"(?:, short: "(\w)")?/g),
  ].map((m): [string, string | undefined] => [m[1], m[2]]);
  if (src.includes("...BROKER_OPTION")) opts.push(["broker", "b"]);
  return opts;
}

Deno.test("sa help <cmd> prints that command's help; an unknown one is a usage error", async () => {
  const { command } = await import("../../lib/cli/reset.ts");
  assert.deepEqual(await sa(["help", "reset"]), { code: 0, stdout: command.help, stderr: "" });
  const r = await sa(["help", "nope"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^sa help: unknown command "nope"\. Commands: init, apps, /);
  assert.equal(r.stdout, "");
});

Deno.test("every help starts with Usage: and lists every option; every short flag is in sa --help", async () => {
  const top = (await sa(["--help"])).stdout;
  for (const name of COMMANDS) {
    const { command } = await import(`../../lib/cli/${name}.ts`);
    assert.match(command.help, new RegExp(`^Usage: sa ${name}\\b`), `${name}: first line`);
    for (const [long, short] of declaredOptions(name)) {
      assert.ok(command.help.includes(`--${long}`), `sa ${name} --help lacks --${long}`);
      if (short) {
        assert.ok(command.help.includes(`-${short}`), `sa ${name} --help lacks -${short}`);
        assert.match(
          top,
          new RegExp(`(^| )-${short} `, "m"),
          `sa --help does not explain -${short}`,
        );
      }
    }
  }
});
