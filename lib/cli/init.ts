/**
 * `sa init [dir] [--force]`: create a project (sa.yaml, .gitignore, .env, deno.json, README).
 *
 * @module
 */
import { relative, resolve } from "node:path";
import { type CliCommand, CliError } from "./_command.ts";
import { flag, parseCommandArgs } from "./_args.ts";
import { InitConflictError, initProject } from "../project/scaffold.ts";

/** Printed after a successful init; `{dir}` is the project folder as the user typed it. */
export const NEXT_STEPS = `Next steps:
  cd {dir}
  sa apps templates                                   # list app templates
  sa apps create starter-transformation -p apps/transform.ts
  sa vars export && sa pipeline update && sa up
`;

/** The `init` command. */
export const command: CliCommand = {
  name: "init",
  summary: "Create a project: sa.yaml, .env, .gitignore, deno.json, README",
  help: `Usage: sa init [dir] [--force]

Creates a project in <dir> (default: the current directory):
  sa.yaml     the pipeline file (Quix quix.yaml v1 schema)
  .gitignore  ignores .env, .sa/ and dist/
  .env        local settings (SA_BROKER=localhost:19092)
  deno.json   maps the @sa/toolkit import apps use
  README.md   a stub
  apps/       an empty folder for your apps
Existing files are never overwritten unless --force is given; when one exists, nothing is written.

Options:
  -f, --force   overwrite existing files

Examples:
  sa init my-pipeline
  sa init . --force
`,
  async run(argv, env) {
    const args = parseCommandArgs("init", argv, { force: { type: "boolean", short: "f" } });
    if (args.positionals.length > 1) {
      throw new CliError(`expected at most one directory, got ${args.positionals.join(" ")}`, 2);
    }
    const target = args.positionals[0] ?? ".";
    const dir = resolve(env.cwd, target);
    try {
      const result = await initProject(dir, { force: flag(args, "force") });
      const shown = relative(env.cwd, dir) || ".";
      env.stdout(`Created ${result.written.join(", ")} in ${shown}\n\n`);
      // Already there: no "cd ." step.
      const steps = shown === "." ? NEXT_STEPS.replace("  cd {dir}\n", "") : NEXT_STEPS;
      env.stdout(steps.replace("{dir}", shown));
      return 0;
    } catch (err) {
      if (err instanceof InitConflictError) throw new CliError(err.message);
      throw err;
    }
  },
};
