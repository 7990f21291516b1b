/**
 * `sa`: the Streaming Academy command line.
 *
 * A thin dispatcher: each command lives in `lib/cli/<command>.ts` and is imported only when
 * used, so `sa broker` does not load the project tooling and vice versa.
 *
 * @module
 */
import { type CliCommand, CliError, processEnv } from "./lib/cli/_command.ts";
import { errorLine } from "./lib/cli/_errors.ts";
import { SA_VERSION } from "./lib/version.ts";

type Loader = () => Promise<{ command: CliCommand }>;

/** Every command, in the order `sa --help` lists them. Literal specifiers keep `deno compile` able to see them. */
const COMMANDS: Record<string, Loader> = {
  init: () => import("./lib/cli/init.ts"),
  apps: () => import("./lib/cli/apps.ts"),
  vars: () => import("./lib/cli/vars.ts"),
  pipeline: () => import("./lib/cli/pipeline.ts"),
  up: () => import("./lib/cli/up.ts"),
  down: () => import("./lib/cli/down.ts"),
  stop: () => import("./lib/cli/stop.ts"),
  start: () => import("./lib/cli/start.ts"),
  restart: () => import("./lib/cli/restart.ts"),
  status: () => import("./lib/cli/status.ts"),
  logs: () => import("./lib/cli/logs.ts"),
  run: () => import("./lib/cli/run.ts"),
  broker: () => import("./lib/cli/broker.ts"),
  topics: () => import("./lib/cli/topics.ts"),
  produce: () => import("./lib/cli/produce.ts"),
  consume: () => import("./lib/cli/consume.ts"),
  groups: () => import("./lib/cli/groups.ts"),
  lag: () => import("./lib/cli/lag.ts"),
  reset: () => import("./lib/cli/reset.ts"),
  export: () => import("./lib/cli/export.ts"),
  import: () => import("./lib/cli/import.ts"),
  replay: () => import("./lib/cli/replay.ts"),
  console: () => import("./lib/cli/console.ts"),
  compose: () => import("./lib/cli/compose.ts"),
  ml: () => import("./lib/cli/ml.ts"),
};

/**
 * Short flags keep one meaning where they can; where a command follows a familiar tool
 * (tail, kcat) the difference is deliberate, and listed here.
 */
const SHORT_FLAGS = `Short flags:
  -b broker address    -k key    -g group    -c topic config    -d detach    -e until end
  -r replication       -o output file       -t timeout (down)    -h help
  -n a number of lines (logs, as tail -n) or messages (consume); a deployment (run) or app
     (apps create) name
  -f follow (logs, as tail -f); input file (produce); output format (consume, as kcat);
     force (apps create)
  -p broker port (up); partitions (topics create); a partition to read (consume); module
     path (apps create)`;

async function usage(): Promise<string> {
  const lines = ["sa: the Streaming Academy toolkit", "", "Usage: sa <command> [options]", ""];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  lines.push(
    "",
    "Run `sa help <command>` (or `sa <command> --help`) for a command's options and examples.",
    "--debug (with any command) prints the stack trace of an unexpected error.",
    "",
    SHORT_FLAGS,
  );
  return lines.join("\n") + "\n";
}

/** Runs `sa` with the given arguments and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const env = processEnv(controller.signal);
  // --debug (any position) or SA_DEBUG=1: unexpected errors print their stack too.
  const debug = argv.includes("--debug") || env.env.SA_DEBUG === "1";
  const [name, ...rest] = argv.filter((a) => a !== "--debug");
  if (name === "help" && rest.length) {
    const topic = COMMANDS[rest[0]];
    if (!topic) {
      env.stderr(
        `sa help: unknown command "${rest[0]}". Commands: ${Object.keys(COMMANDS).join(", ")}\n`,
      );
      return 2;
    }
    const { command } = await topic();
    env.stdout(command.help.endsWith("\n") ? command.help : command.help + "\n");
    return 0;
  }
  if (!name || name === "--help" || name === "-h" || name === "help") {
    env.stdout(await usage());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V") {
    env.stdout(`sa ${SA_VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    env.stderr(`sa: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(", ")}\n`);
    return 2;
  }
  const { command } = await load();
  if (rest.includes("--help") || rest.includes("-h")) {
    env.stdout(command.help.endsWith("\n") ? command.help : command.help + "\n");
    return 0;
  }
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    return await command.run(rest, env);
  } catch (err) {
    if (err instanceof CliError) {
      env.stderr(`sa ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    const { line, fs } = errorLine(err);
    if (debug && err instanceof Error && err.stack) {
      env.stderr(`sa ${name}: ${line}\n${err.stack}\n`);
    } else {
      // A file-system error names the path and the cause: a stack adds nothing for the user.
      env.stderr(`sa ${name}: ${line}${fs ? "" : ` (\`sa ${name} --debug\` shows the stack)`}\n`);
    }
    return 1;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
