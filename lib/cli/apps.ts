/**
 * `sa apps templates`, `sa apps create <template> -p <path>` and `sa apps list`.
 *
 * @module
 */
import { type CliCommand, CliError } from "./_command.ts";
import { flag, parseCommandArgs, str } from "./_args.ts";
import { loadAppsOrFail, openProject } from "./_project.ts";
import { formatTable } from "./_table.ts";
import { TEMPLATES } from "../templates/mod.ts";
import { AppExistsError, createApp, UnknownTemplateError } from "../project/create_app.ts";

/** Printed after `apps create`; `{module}` is the app module path. */
export const CREATED_NEXT =
  `Next: sa vars export && sa pipeline update   (or try it alone: sa run {module})\n`;

/** The `apps` command. */
export const command: CliCommand = {
  name: "apps",
  summary: "Create apps from templates, list templates and the project's apps",
  help: `Usage: sa apps templates
       sa apps create <template> -p <path> [--name NAME] [--force]
       sa apps list

templates  Lists the app templates.
create     Writes a runnable TypeScript app from a template. <path> is a .ts file
           (apps/normalize.ts) or a folder (apps/normalize → apps/normalize/main.ts);
           apps under apps/ are picked up by \`sa vars export\` and \`sa pipeline update\`.
           The app is named after the file or folder unless --name is given.
list       Lists the project's apps, their deployments and variables.

Options:
  -p, --path PATH   where to write the app (required for create)
  -n, --name NAME   app name (default: the file stem or folder name)
  -f, --force       overwrite existing files

Examples:
  sa apps templates
  sa apps create starter-transformation -p apps/normalize.ts
  sa apps create replay -p apps/replay
`,
  async run(argv, env) {
    const args = parseCommandArgs("apps", argv, {
      path: { type: "string", short: "p" },
      name: { type: "string", short: "n" },
      force: { type: "boolean", short: "f" },
    });
    const [sub, ...rest] = args.positionals;
    if (sub === "templates" || sub === "library" || sub === "lib") {
      env.stdout(formatTable(["TEMPLATE", "DESCRIPTION"], TEMPLATES.map((t) => [t.id, t.summary])));
      return 0;
    }
    if (sub === "list" || sub === "ls") {
      const project = await openProject(env.cwd);
      const apps = await loadAppsOrFail(project);
      env.stdout(formatTable(
        ["APP", "MODULE", "DEPLOYED", "VARIABLES"],
        apps.map((a) => [
          a.name,
          a.application,
          a.deployment ? "yes" : "no",
          a.definition.variables.map((v) => v.name).join(", "),
        ]),
      ));
      return 0;
    }
    if (sub === "create" || sub === "add") {
      const [template, ...extra] = rest;
      if (!template) {
        throw new CliError("expected a template name: sa apps create <template> -p <path>", 2);
      }
      if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(" ")}`, 2);
      const path = str(args, "path");
      try {
        if (!path) {
          // Validate the template first, so a typo reports the list rather than a missing -p.
          if (!TEMPLATES.some((t) => t.id === template)) throw new UnknownTemplateError(template);
          throw new CliError(
            `-p <path> is required, e.g. -p apps/${template.replace(/^starter-/, "")}.ts`,
            2,
          );
        }
        const r = await createApp({
          dir: env.cwd,
          template,
          path,
          name: str(args, "name"),
          force: flag(args, "force"),
        });
        env.stdout(`Created app "${r.name}" from ${template}: ${r.files.join(", ")}\n`);
        env.stdout(CREATED_NEXT.replace("{module}", r.module));
        return 0;
      } catch (err) {
        if (err instanceof CliError) throw err;
        if (err instanceof UnknownTemplateError || err instanceof AppExistsError) {
          throw new CliError(err.message);
        }
        if (err instanceof Error && /^(-p |app name )/.test(err.message)) {
          throw new CliError(err.message, 2);
        }
        throw err;
      }
    }
    throw new CliError(
      sub
        ? `unknown subcommand "${sub}"; expected templates, create or list`
        : "expected templates, create or list",
      2,
    );
  },
};
