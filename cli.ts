/**
 * `sa`: the Streaming Academy command line.
 *
 * A thin dispatcher: each command lives in `lib/cli/<command>.ts` and is imported only when
 * used, so `sa broker` does not load the project tooling and vice versa.
 *
 * @module
 */
import { type CliCommand, CliError, processEnv } from "./lib/cli/_command.ts";

type Loader = () => Promise<{ command: CliCommand }>;

/** Every command, in the order `sa --help` lists them. Literal specifiers keep `deno compile` able to see them. */
const COMMANDS: Record<string, Loader> = {
  init: () => import("./lib/cli/init.ts"),
  apps: () => import("./lib/cli/apps.ts"),
  vars: () => import("./lib/cli/vars.ts"),
  pipeline: () => import("./lib/cli/pipeline.ts"),
  up: () => import("./lib/cli/up.ts"),
  down: () => import("./lib/cli/down.ts"),
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
};

async function usage(): Promise<string> {
  const lines = ["sa: the Streaming Academy toolkit", "", "Usage: sa <command> [options]", ""];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const { command } = await load();
    lines.push(`  ${name.padEnd(10)} ${command.summary}`);
  }
  lines.push("", "Run `sa <command> --help` for a command's options and examples.");
  return lines.join("\n") + "\n";
}

/** Runs `sa` with the given arguments and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  const env = processEnv(controller.signal);
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    env.stdout(await usage());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V") {
    env.stdout("sa 0.1.0\n");
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
    throw err;
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
