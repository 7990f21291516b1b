/**
 * `sa console`: the web console (topics, messages, live tail, groups, pipeline) against any
 * Kafka broker. The server and its API are in lib/console/.
 *
 * @module
 */
import { type CliCommand, CliError } from "./_command.ts";
import { flag, int, parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget } from "./_kafka.ts";
import { startConsole } from "../console/server.ts";

/** The `console` command. */
export const command: CliCommand = {
  name: "console",
  summary: "Web console: topics, messages, live tail, groups and lag, the pipeline",
  help: `Usage: sa console [--port 8080] [--host 127.0.0.1] [--read-only]

Serves the web console on http://127.0.0.1:8080/ until Ctrl+C. It is a Kafka client: it works
against the embedded broker, Redpanda or Kafka. On a host other than 127.0.0.1 it requires
the token it prints (anyone on the network could otherwise read and write your topics).
\`sa up\` serves the same console on :8080 (unless --no-console).

Options:
${BROKER_HELP}
  --port N       port (default 8080; 0 = any free port)
  --host H       address to bind (default 127.0.0.1)
  --read-only    hide and refuse every write (produce, import, create, delete, reset)

Examples:
  sa console
  sa console --broker localhost:9092 --read-only
  sa console --host 0.0.0.0 --port 8081
`,
  async run(argv, env) {
    const args = parseCommandArgs("console", argv, {
      ...BROKER_OPTION,
      port: { type: "string" },
      host: { type: "string" },
      "read-only": { type: "boolean" },
    });
    if (args.positionals.length) {
      throw new CliError(`unexpected arguments: ${args.positionals.join(" ")}`, 2);
    }
    const port = int(args, "port", 0) ?? 8080;
    if (port > 65535) throw new CliError(`--port must be at most 65535, not ${port}`, 2);
    const { address, security } = await brokerTarget(str(args, "broker"), env);
    let running;
    try {
      running = await startConsole({
        address,
        security,
        port,
        host: str(args, "host"),
        readOnly: flag(args, "read-only"),
        projectDir: env.cwd,
      });
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) {
        throw new CliError(`port ${port} is in use; pick another with --port`);
      }
      throw new CliError(`cannot serve the console: ${(err as Error).message}`);
    }
    env.stdout(
      `Console on ${running.url} (broker ${address}${
        flag(args, "read-only") ? ", read-only" : ""
      }). Ctrl+C to stop.\n`,
    );
    if (running.token) {
      env.stdout(`Token required on this host: ${running.token}\n`);
    }
    await new Promise<void>((resolve) => {
      if (env.signal.aborted) resolve();
      env.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await running.close();
    return 0;
  },
};
