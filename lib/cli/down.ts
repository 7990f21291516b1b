/**
 * `sa down`: stops a background `sa up` of this project: SIGTERM to the pid in `.sa/sa.pid`,
 * then waits for it to stop its apps (each commits) and its broker.
 *
 * @module
 */
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { int, parseCommandArgs } from "./_args.ts";
import { findPipelineFile } from "../project/pipeline.ts";
import { isAlive, readPid, saPaths } from "../runner/project_state.ts";
import { dirname } from "node:path";

const HELP = `Usage: sa down [options]

Stops the sa up running for this project (found through .sa/sa.pid): sends SIGTERM, then
waits while it stops its apps (each commits its progress) and the broker.

Options:
  -t, --timeout <s>  Seconds to wait before giving up (default 30)
  -h, --help         Show this help

Examples:
  sa up --detach
  sa down
`;

/** The project dir for `.sa/`: where the pipeline file is, else the current directory. */
export async function projectDir(cwd: string): Promise<string> {
  const file = await findPipelineFile(cwd);
  return file ? dirname(file) : cwd;
}

async function down(argv: string[], env: CliEnv): Promise<number> {
  const p = parseCommandArgs("down", argv, { timeout: { type: "string", short: "t" } });
  const timeoutMs = (int(p, "timeout", 1) ?? 30) * 1000;
  const paths = saPaths(await projectDir(env.cwd));
  const pid = await readPid(paths);
  if (pid === null) {
    env.stdout("sa down: nothing to stop (no .sa/sa.pid: sa up is not running here)\n");
    return 0;
  }
  if (!isAlive(pid)) {
    await Deno.remove(paths.pidFile).catch(() => {});
    env.stdout(`sa down: sa up (pid ${pid}) was not running; removed the stale pid file\n`);
    return 0;
  }
  Deno.kill(pid, "SIGTERM");
  env.stderr(`sa down: stopping sa up (pid ${pid})...\n`);
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      throw new CliError(
        `sa up (pid ${pid}) is still running after ${timeoutMs / 1000} s; ` +
          `see .sa/logs/up.log, or force it with kill -9 ${pid}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  env.stdout(`sa down: stopped (pid ${pid})\n`);
  return 0;
}

/** `sa down`. */
export const command: CliCommand = {
  name: "down",
  summary: "Stop the background sa up of this project",
  help: HELP,
  run: down,
};
