/**
 * `sa import <topic>`: produces NDJSON records (as `sa export` or the console's Export write
 * them) keeping keys, headers and timestamps. The console's Import, as a command.
 *
 * @module
 */
import { resolve } from "node:path";
import { type CliCommand, CliError } from "./_command.ts";
import { flag, parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget } from "./_kafka.ts";
import { withConsoleContext } from "./_console_ctx.ts";
import { importNdjson } from "../console/messages.ts";

/** The `import` command. */
export const command: CliCommand = {
  name: "import",
  summary: "Produce NDJSON records (from sa export) keeping keys, headers, timestamps",
  help: `Usage: sa import <topic> [-f FILE] [--keep-partitions]

Reads NDJSON from FILE (or stdin) and produces every line to <topic> with its key, headers and
timestamp. A malformed line stops the import before anything is produced, naming the line.

Options:
${BROKER_HELP}
  -f, --file FILE       read FILE instead of stdin
  --keep-partitions     send each record to the partition it came from (default: by key)

Examples:
  sa export raw-data -n 1000 > raw.ndjson && sa import raw-data-copy -f raw.ndjson
`,
  async run(argv, env) {
    const args = parseCommandArgs("import", argv, {
      ...BROKER_OPTION,
      file: { type: "string", short: "f" },
      "keep-partitions": { type: "boolean" },
    });
    const [topic, ...extra] = args.positionals;
    if (!topic || extra.length) throw new CliError("expected one topic: sa import <topic>", 2);
    const file = str(args, "file");
    let text: string;
    if (file && file !== "-") {
      try {
        text = await Deno.readTextFile(resolve(env.cwd, file));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) throw new CliError(`no such file: ${file}`);
        throw err;
      }
    } else text = await new Response(Deno.stdin.readable).text();
    const target = await brokerTarget(str(args, "broker"), env);
    const { imported } = await withConsoleContext(
      target,
      (ctx) => importNdjson(ctx, topic, text, flag(args, "keep-partitions")),
    );
    env.stdout(`Imported ${imported} record(s) to ${topic}\n`);
    return 0;
  },
};
