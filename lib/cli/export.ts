/**
 * `sa export <topic>`: a topic's records as NDJSON (key, headers, timestamp, partition, offset,
 * value), byte-exact, for `sa import` or the console's Import. The console's Export, as a
 * command.
 *
 * @module
 */
import { type CliCommand, CliError } from "./_command.ts";
import { int, parseCommandArgs, str } from "./_args.ts";
import { BROKER_HELP, BROKER_OPTION, brokerTarget } from "./_kafka.ts";
import { withConsoleContext } from "./_console_ctx.ts";
import { type BrowseRequest, exportNdjson } from "../console/messages.ts";

const STARTS = ["oldest", "newest", "offset", "timestamp"];

/** The `export` command. */
export const command: CliCommand = {
  name: "export",
  summary: "Write a topic's messages as NDJSON (keys, headers, timestamps kept)",
  help: `Usage: sa export <topic> [--from oldest|newest|offset|timestamp] [-n MAX] [options]

Writes up to MAX records (default 100, at most 10,000) as one JSON object per line to stdout:
{partition, offset, timestamp, key, headers, value}. Values that are JSON stay JSON; other
text and bytes are kept exactly (see docs/http-api.md). \`sa import\` reads it back.

Options:
${BROKER_HELP}
  --from WHERE        oldest (default), newest (MAX before the end), offset, timestamp
  --offset N          with --from offset
  --timestamp T       with --from timestamp: epoch ms or an ISO date
  --partition N       one partition (default all)
  -n, --max MAX       how many records
  --grep TEXT         only records with TEXT in key, value or headers
  --filter JS         only records for which the JavaScript expression is true (sees key,
                      value, headers, partition, offset, timestamp; no permissions, 2 s limit)

Examples:
  sa export raw-data -n 1000 > raw.ndjson
  sa export table-data --filter 'value["accelerometer-total"] > 80'
`,
  async run(argv, env) {
    const args = parseCommandArgs("export", argv, {
      ...BROKER_OPTION,
      from: { type: "string" },
      offset: { type: "string" },
      timestamp: { type: "string" },
      partition: { type: "string" },
      max: { type: "string", short: "n" },
      grep: { type: "string" },
      filter: { type: "string" },
    });
    const [topic, ...extra] = args.positionals;
    if (!topic || extra.length) throw new CliError("expected one topic: sa export <topic>", 2);
    const from = str(args, "from") ?? "oldest";
    if (!STARTS.includes(from)) {
      throw new CliError(`--from must be one of ${STARTS.join(", ")}, not "${from}"`, 2);
    }
    const req: BrowseRequest = {
      start: from as BrowseRequest["start"],
      offset: int(args, "offset"),
      timestamp: str(args, "timestamp"),
      partition: int(args, "partition"),
      max: int(args, "max", 1),
      q: str(args, "grep"),
      filter: str(args, "filter"),
    };
    const target = await brokerTarget(str(args, "broker"), env);
    const text = await withConsoleContext(target, (ctx) => exportNdjson(ctx, topic, req));
    env.stdout(text);
    env.stderr(`${text ? text.split("\n").length - 1 : 0} record(s)\n`);
    return 0;
  },
};
