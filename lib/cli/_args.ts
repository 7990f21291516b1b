/**
 * Argument parsing shared by the tooling commands: `node:util` parseArgs in strict mode, with
 * its errors turned into a one-line {@link CliError} that names the command.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError } from "./_command.ts";

/** Option declarations as `node:util` parseArgs takes them. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Parsed options and positionals. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  positionals: string[];
}

/** Parses `argv` strictly; unknown options and missing values become a usage error (exit 2). */
export function parseCommandArgs(command: string, argv: string[], options: OptionSpec): Parsed {
  // `--shift-by -5`: a negative number is the value of a string option, not an option.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : undefined;
    const next = argv[i + 1];
    if (name && options[name]?.type === "string" && next !== undefined && /^-\d+$/.test(next)) {
      args.push(`${argv[i]}=${next}`);
      i++;
    } else args.push(argv[i]);
  }
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new CliError(
      `${msg.replace(/\. To specify a positional.*$/, "")} (see sa ${command} --help)`,
      2,
    );
  }
}

/** A string option's value, or undefined. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === "string" ? v : undefined;
}

/** A boolean flag's value. */
export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A non-negative integer option, validated. */
export function int(p: Parsed, name: string, min = 0): number | undefined {
  const v = str(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new CliError(`--${name} must be an integer >= ${min}, not "${v}"`, 2);
  }
  return n;
}
