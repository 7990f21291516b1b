/**
 * `sa vars export [app]` and `sa vars list [app]`: apps' variables to `.env`, and where each
 * value comes from.
 *
 * @module
 */
import { resolve } from "node:path";
import { type CliCommand, CliError } from "./_command.ts";
import { flag, parseCommandArgs, str } from "./_args.ts";
import { loadAppsOrFail, openProject, writeTextOrFail } from "./_project.ts";
import { formatTable } from "./_table.ts";
import { findApp, type ProjectApp } from "../project/apps.ts";
import { appDotEnvPath, readDotEnv } from "../project/env.ts";
import { basename } from "node:path";
import { renderDotEnv } from "../project/dotenv_export.ts";
import { SECURITY_ENV } from "../stream/kafka/security.ts";
import { resolveVariables } from "../project/variables.ts";
import { secretKeys, sharedSecurity } from "../project/connection.ts";

/** No app in the project. */
export const NO_APPS =
  "no apps found: add one with `sa apps create <template> -p apps/<name>.ts` (apps live in apps/)";

/** The `vars` command. */
export const command: CliCommand = {
  name: "vars",
  summary: "Export apps' variables to .env, or list resolved values",
  help: `Usage: sa vars export [app] [--reset] [--env-file FILE]
       sa vars list [app]

export  Writes .env with SA_BROKER=localhost:19092 (and Quix__Broker__Address), then each
        app's variables, grouped by app and commented with their type and description.
        Values come from the deployment in sa.yaml, else the app's default. Values already
        in .env are kept unless --reset. A name apps use with different values is left
        commented out (a .env value would apply to every app). Connection settings
        (SA_SECURITY_PROTOCOL, ...) come from .env, the environment, else sa.yaml; the keys
        sa.yaml's secretKeys name get a line here, the only place their values go.
list    Shows each variable's resolved value and its source (env > .env.<app> > .env >
        pipeline or secretKey > default), and required variables without a value; secrets
        show as ********.

[app] is a deployment name, an app name or a path like apps/normalize.ts (default: all apps).

Options:
  --reset           rewrite the apps' values from sa.yaml / defaults
  --env-file FILE   write FILE instead of .env

Examples:
  sa vars export
  sa vars export normalize --reset
  sa vars list
`,
  async run(argv, env) {
    const args = parseCommandArgs("vars", argv, {
      reset: { type: "boolean" },
      "env-file": { type: "string" },
    });
    const [sub, appName, ...extra] = args.positionals;
    if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(" ")}`, 2);
    if (sub !== "export" && sub !== "list") {
      throw new CliError(
        sub ? `unknown subcommand "${sub}"; expected export or list` : "expected export or list",
        2,
      );
    }
    const project = await openProject(env.cwd);
    let apps = await loadAppsOrFail(project);
    if (appName) apps = [selectApp(apps, appName)];
    if (apps.length === 0) throw new CliError(NO_APPS);
    const envFile = resolve(env.cwd, str(args, "env-file") ?? ".env");
    const existing = await readDotEnv(envFile);
    if (sub === "list") {
      const perApp = new Map<string, { file: string; values: Record<string, string> }>();
      for (const app of apps) {
        // The same name `sa run` uses: the deployment's, else the module's file name.
        const name = app.deployment?.name ?? basename(app.entry).replace(/\.[^.]+$/, "");
        const path = appDotEnvPath(project.dir, name);
        perApp.set(app.name, { file: basename(path), values: await readDotEnv(path) });
      }
      env.stdout(listVariables(apps, existing, env.env, perApp));
      return 0;
    }
    const security = Object.fromEntries(
      Object.values(SECURITY_ENV).filter((k) => env.env[k]).map((k) => [k, env.env[k]]),
    );
    const { text, warnings } = renderDotEnv({
      apps,
      existing,
      reset: flag(args, "reset"),
      security,
      pipelineSecurity: sharedSecurity(project.pipeline?.deployments ?? []).values,
      secretKeys: Object.fromEntries(
        secretKeys(project.pipeline).map((k) => [k, env.env[k] || undefined]),
      ),
    });
    await writeTextOrFail(envFile, text);
    for (const w of warnings) env.stderr(`warning: ${w}\n`);
    const count = apps.reduce((n, a) => n + a.definition.variables.length, 0);
    env.stdout(
      `Wrote ${count} variable(s) of ${apps.length} app(s) to ${str(args, "env-file") ?? ".env"}\n`,
    );
    return 0;
  },
};

function selectApp(apps: ProjectApp[], name: string): ProjectApp {
  const app = findApp(apps, name);
  if (!app) {
    const known = apps.map((a) => a.name).join(", ") || "none";
    throw new CliError(`no app "${name}" in this project (apps: ${known})`);
  }
  return app;
}

/** The `vars list` table: app, variable, value, source. */
export function listVariables(
  apps: readonly ProjectApp[],
  dotenv: Record<string, string>,
  processEnv: Readonly<Record<string, string>>,
  perApp: ReadonlyMap<string, { file: string; values: Record<string, string> }> = new Map(),
): string {
  const rows: string[][] = [];
  for (const app of apps) {
    const r = resolveVariables({
      declared: app.definition.variables,
      deployment: app.deployment,
      dotenv,
      appDotenv: perApp.get(app.name),
      processEnv: { ...processEnv },
      secrets: (key) => processEnv[key] || dotenv[key] || undefined,
    });
    for (const v of app.definition.variables) {
      const missing = r.missing.includes(v);
      rows.push([
        app.name,
        v.name,
        v.inputType,
        missing
          ? "(missing, required)"
          : v.inputType === "Secret" && r.values[v.name]
          ? "********"
          : r.values[v.name] ?? "",
        r.sources[v.name] ?? "-",
      ]);
    }
  }
  return formatTable(["APP", "VARIABLE", "TYPE", "VALUE", "SOURCE"], rows);
}
