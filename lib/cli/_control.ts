/**
 * `sa stop|start|restart <deployment>`: act on one deployment of the running `sa up`.
 *
 * @module
 */
import { type CliCommand, CliError } from "./_command.ts";
import { parseCommandArgs } from "./_args.ts";
import { saPaths } from "../runner/project_state.ts";
import { controlPath, type ControlRequest, sendControl } from "../runner/control.ts";

const SUMMARY: Record<ControlRequest["action"], string> = {
  stop: "Stop one deployment of the running sa up (it stays stopped until sa start)",
  start: "Start a stopped deployment of the running sa up",
  restart: "Restart one deployment of the running sa up (e.g. after sa reset)",
};

/** The command for one action. */
export function controlCommand(action: ControlRequest["action"]): CliCommand {
  return {
    name: action,
    summary: SUMMARY[action],
    help: `Usage: sa ${action} <deployment>

${SUMMARY[action]}. The rest of the pipeline keeps running. A deployment with replicas
acts on all of them (or name one: normalize#2).
${
      action === "stop"
        ? "\nStopping lets the app commit its progress first. To skip a message it cannot process:\n" +
          "  sa stop normalize && sa reset <group> --topic raw-data --partition 0 --shift-by 1 &&\n" +
          "  sa start normalize\n"
        : ""
    }
Options:
  -h, --help   Show this help

Examples:
  sa ${action} normalize
`,
    async run(argv, env) {
      const p = parseCommandArgs(action, argv, {});
      const [deployment, ...extra] = p.positionals;
      if (!deployment || extra.length) {
        throw new CliError(`expected one deployment: sa ${action} <deployment>`, 2);
      }
      // The running sa up's socket is in .sa/ beside the pipeline file: no need to parse it.
      const res = await sendControl(controlPath(saPaths(env.cwd)), { action, deployment });
      if (!res) {
        throw new CliError(
          "sa up is not running for this project; start the pipeline with `sa up`",
        );
      }
      if (!res.ok) throw new CliError(res.message);
      env.stdout(`${res.message}\n`);
      return 0;
    },
  };
}
