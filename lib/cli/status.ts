/**
 * `sa status`: whether `sa up` runs for this project, its broker, and each deployment's state.
 *
 * @module
 */
import type { CliCommand, CliEnv } from "./_command.ts";
import { flag, parseCommandArgs } from "./_args.ts";
import { checkBroker } from "../runner/broker_check.ts";
import { pickSecurityEnv, securityFrom } from "./_kafka.ts";
import { isAlive, readPid, readStatus, saPaths } from "../runner/project_state.ts";
import { projectDir } from "./down.ts";
import { formatTable } from "./_table.ts";

const HELP = `Usage: sa status [options]

Shows whether sa up is running for this project, whether its broker answers, and the state
of each deployment (running, backoff after a crash, failed, completed), with restarts and
the last error. Exit code 0 when sa up runs, 3 when it does not.

Options:
      --json     Print the status file as JSON
  -h, --help     Show this help

Examples:
  sa status
  sa status --json
`;

function ago(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60
    ? `${s}s`
    : s < 3600
    ? `${Math.floor(s / 60)}m${s % 60}s`
    : `${Math.floor(s / 3600)}h`;
}

async function status(argv: string[], env: CliEnv): Promise<number> {
  const p = parseCommandArgs("status", argv, { json: { type: "boolean" } });
  const paths = saPaths(await projectDir(env.cwd));
  const pid = await readPid(paths);
  const st = await readStatus(paths);
  const running = pid !== null && isAlive(pid);
  if (flag(p, "json")) {
    env.stdout(JSON.stringify({ running, ...(st ?? {}) }, null, 2) + "\n");
    return running ? 0 : 3;
  }
  if (!running) {
    const last = !st
      ? (pid !== null
        ? `; .sa/sa.pid names process ${pid}, which is gone (a killed run); \`sa up\` starts ` +
          "it again"
        : "")
      : st.state === "stopped"
      ? `; the last run (started ${st.startedAt}) stopped cleanly`
      : `; the last run (pid ${st.pid}, started ${st.startedAt}) ended without a clean stop ` +
        "(killed?); `sa up` starts it again and the apps resume from their committed offsets";
    env.stdout(`sa up: not running${last}\n`);
    return 3;
  }
  if (!st) {
    env.stdout(`sa up: running (pid ${pid}), no status yet\n`);
    return 0;
  }
  let reach = "unknown";
  if (st.broker.address) {
    try {
      // An external broker may be secured: the same settings as `sa up --broker` had.
      const security = st.broker.embedded
        ? undefined
        : securityFrom(pickSecurityEnv(env.env, {}, env.cwd));
      await checkBroker(st.broker.address, 2000, security);
      reach = "reachable";
    } catch (err) {
      reach = `unreachable (${(err as Error).message})`;
    }
  }
  env.stdout(
    `sa up: ${st.state} (pid ${st.pid}${st.detached ? ", background" : ""}, up ${
      ago(st.startedAt)
    }` +
      `${st.readyMs !== undefined ? `, ready in ${st.readyMs} ms` : ""})\n` +
      `pipeline: ${st.pipeline}\n` +
      `broker: ${st.broker.address || "-"} ${
        st.broker.embedded ? "(embedded)" : "(external)"
      } ${reach}\n\n`,
  );
  const rows: string[][] = [];
  for (const d of st.deployments) {
    rows.push([
      d.name,
      d.state,
      String(d.restarts),
      ago(d.since),
      (d.lastError ?? "").split("\n")[0],
    ]);
  }
  env.stdout(formatTable(["DEPLOYMENT", "STATE", "RESTARTS", "SINCE", "LAST ERROR"], rows));
  return 0;
}

/** `sa status`. */
export const command: CliCommand = {
  name: "status",
  summary: "Show whether sa up runs, its broker and each deployment's state",
  help: HELP,
  run: status,
};
