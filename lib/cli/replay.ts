/**
 * `sa replay <dead-letter-topic> --to <topic>`: sends a dead-letter topic's records back to the
 * topic they failed from, keeping keys, headers and timestamps. The console's Replay, as a
 * command.
 *
 * @module
 */
import { type CliCommand, CliError } from "./_command.ts";
import { int, parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget } from "./_kafka.ts";
import { withConsoleContext } from "./_console_ctx.ts";
import { replay } from "../console/messages.ts";

/** The `replay` command. */
export const command: CliCommand = {
  name: "replay",
  summary: "Send a dead-letter topic's messages back to their source topic",
  help: `Usage: sa replay <dead-letter-topic> --to <topic> [-n MAX]

Produces the dead-letter topic's records, oldest first (at most MAX, default 10,000), to
<topic>, with their keys, headers and timestamps. The dead-letter topic is left as it is.

Options:
${BROKER_HELP}
  --to TOPIC      where to send them (required)
  -n, --max MAX   at most MAX records

Examples:
  sa replay normalize-dlq --to raw-data
`,
  async run(argv, env) {
    const args = parseCommandArgs("replay", argv, {
      ...BROKER_OPTION,
      to: { type: "string" },
      max: { type: "string", short: "n" },
    });
    const [dlq, ...extra] = args.positionals;
    if (!dlq || extra.length) {
      throw new CliError("expected one topic: sa replay <dead-letter-topic> --to <topic>", 2);
    }
    const to = str(args, "to");
    if (!to) throw new CliError("--to <topic> is required", 2);
    const target = await brokerTarget(str(args, "broker"), env);
    const { replayed } = await withConsoleContext(
      target,
      (ctx) => replay(ctx, dlq, to, int(args, "max", 1)),
    );
    env.stdout(`Replayed ${replayed} record(s) from ${dlq} to ${to}\n`);
    return 0;
  },
};
