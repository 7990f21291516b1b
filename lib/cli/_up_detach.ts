/**
 * `sa up --detach`: starts the same `sa up` as a background process and returns once it is
 * ready, repeating its warnings, or with the real cause when it fails (from `.sa/status.json`,
 * else the last lines of `.sa/logs/up.log`).
 *
 * @module
 */
import { basename, join } from "node:path";
import { type CliEnv, CliError } from "./_command.ts";
import { toolkitRoot } from "../runner/permissions.ts";
import { readStatus, type SaPaths } from "../runner/project_state.ts";

/** Starts `sa up` in the background and returns once it is ready (or has failed). */
export async function detach(argv: string[], env: CliEnv, paths: SaPaths): Promise<number> {
  const rest = argv.filter((a) => a !== "-d" && a !== "--detach");
  const exe = Deno.execPath();
  const isDeno = /^deno(\.exe)?$/.test(basename(exe));
  const args = isDeno
    ? [
      "run",
      "--allow-all",
      "--unstable-worker-options",
      join(toolkitRoot(), "cli.ts"),
      "up",
      ...rest,
    ]
    : ["up", ...rest];
  await Deno.mkdir(paths.logsDir, { recursive: true });
  await Deno.remove(paths.statusFile).catch(() => {});
  const child = new Deno.Command(exe, {
    args,
    cwd: env.cwd,
    env: { ...env.env, SA_UP_DETACHED: "1", INIT_CWD: env.cwd, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => exited = s);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await readStatus(paths).catch(() => null);
    if (status?.pid === child.pid && status.readyAt) {
      // The background process's own output only reaches up.log: repeat its warnings here.
      for (const w of status.warnings) env.stderr(`sa up: warning: ${w}\n`);
      env.stdout(
        `sa up: running in the background (pid ${child.pid}), ready in ${status.readyMs} ms; ` +
          `broker ${status.broker.address}; ` +
          (status.deployments.length
            ? `deployments: ${status.deployments.map((d) => `${d.name} (${d.state})`).join(", ")}\n`
            : "no deployments\n") +
          `  sa status · sa logs <name> -f · sa down\n`,
      );
      return 0;
    }
    if (exited) {
      const last = await readStatus(paths).catch(() => null);
      if (last?.pid === child.pid && last.error) {
        throw new CliError(`the background sa up failed: ${last.error}`);
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = await Deno.readTextFile(join(paths.logsDir, "up.log")).catch(() => "");
  const tail = log.trim().split("\n").slice(-10).join("\n");
  if (!exited) {
    try {
      Deno.kill(child.pid, "SIGTERM");
    } catch { /* gone */ }
  }
  throw new CliError(
    `the background sa up did not become ready${exited ? ` (exit code ${exited.code})` : ""}` +
      (tail ? `; last lines of .sa/logs/up.log:\n${tail}` : ""),
  );
}
