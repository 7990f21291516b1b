/**
 * `sa pipeline update` (apps → deployments and topics in sa.yaml, editing the document) and
 * `sa pipeline view` (terminal graph + mermaid in pipeline.md).
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import { existsSync } from "node:fs";
import { type CliCommand, CliError } from "./_command.ts";
import { flag, parseCommandArgs, str } from "./_args.ts";
import { loadAppsOrFail, openProject, writeTextOrFail } from "./_project.ts";
import { findApp, loadProjectApps, type ProjectApp } from "../project/apps.ts";
import { readDotEnv } from "../project/env.ts";
import { PIPELINE_FILE_NAMES, PipelineError, resolveApplication } from "../project/pipeline.ts";
import { UndeclaredVariableError, updatePipelineText } from "../project/pipeline_edit.ts";
import {
  pipelineGraph,
  renderGraphText,
  renderPipelineMarkdown,
} from "../project/pipeline_graph.ts";
import { SA_YAML } from "../templates/project.ts";
import type { VariableInputType } from "../stream/define_app.ts";

/** Printed when update changed nothing. */
export const UP_TO_DATE = "{file} is up to date\n";

/** The `pipeline` command. */
export const command: CliCommand = {
  name: "pipeline",
  summary: "Register apps in sa.yaml (update) or draw the pipeline (view)",
  help: `Usage: sa pipeline update [app...] [--prune]
       sa pipeline view [--output FILE] [--direction LR|TD]

update  Adds a deployment for each app (apps/*.ts, apps/<folder>/main.ts, or the apps given)
        and updates existing ones: variables' types, descriptions and required flags follow the
        app; values are kept, new ones come from .env or the app's default. Topics the apps
        read or write are added to topics:. The YAML document is edited in place, so your
        comments and formatting are kept. Warns about required variables without a value.
        A deployment variable the app does not declare is an error unless --prune removes it.
view    Prints apps and topics as a graph and writes it as a mermaid diagram to pipeline.md.

Options:
  --prune            remove deployment variables their app no longer declares
  -o, --output FILE  where view writes the mermaid document (default pipeline.md)
  --direction D      mermaid direction: LR (default) or TD

Examples:
  sa pipeline update
  sa pipeline update apps/normalize.ts
  sa pipeline view
`,
  async run(argv, env) {
    const args = parseCommandArgs("pipeline", argv, {
      prune: { type: "boolean" },
      output: { type: "string", short: "o" },
      direction: { type: "string" },
    });
    const [sub, ...rest] = args.positionals;
    if (sub === "update" || sub === "upd") return await update(rest, flag(args, "prune"), env);
    if (sub === "view") {
      if (rest.length) throw new CliError(`unexpected arguments: ${rest.join(" ")}`, 2);
      const direction = str(args, "direction") ?? "LR";
      if (direction !== "LR" && direction !== "TD") {
        throw new CliError(`--direction must be LR or TD, not "${direction}"`, 2);
      }
      return await view(str(args, "output") ?? "pipeline.md", direction, env);
    }
    throw new CliError(
      sub ? `unknown subcommand "${sub}"; expected update or view` : "expected update or view",
      2,
    );
  },
};

async function update(
  only: string[],
  prune: boolean,
  env: Parameters<CliCommand["run"]>[1],
): Promise<number> {
  const project = await openProject(env.cwd);
  // Deployment variables are reconciled below (with --prune), so don't fail on them here.
  let apps = await loadAppsOrFail(project, { checkVariables: false });
  if (only.length) {
    const picked: ProjectApp[] = [];
    for (const q of only) {
      const app = findApp(apps, q) ?? (await loadExplicit(project.dir, q, project, apps));
      picked.push(app);
    }
    apps = picked;
  }
  if (apps.length === 0) {
    throw new CliError(
      "no apps found: add one with `sa apps create <template> -p apps/<name>.ts`",
    );
  }
  const file = project.pipeline?.file ?? join(env.cwd, PIPELINE_FILE_NAMES[0]);
  const text = project.pipeline ? await Deno.readTextFile(file) : SA_YAML;
  const dotenv = await readDotEnv(join(env.cwd, ".env"));
  let result;
  try {
    result = updatePipelineText(text, file, { apps, dotenv, prune });
  } catch (err) {
    if (err instanceof UndeclaredVariableError || err instanceof PipelineError) {
      throw new CliError(err.message);
    }
    throw err;
  }
  const name = basename(file);
  if (result.text !== text || !project.pipeline) await writeTextOrFail(file, result.text);
  for (const w of result.warnings) env.stderr(`warning: ${w}\n`);
  const parts: string[] = [];
  if (result.added.length) parts.push(`added ${result.added.join(", ")}`);
  if (result.updated.length) parts.push(`updated ${result.updated.join(", ")}`);
  if (result.pruned.length) parts.push(`removed variables ${result.pruned.join(", ")}`);
  if (result.topicsAdded.length) parts.push(`added topics ${result.topicsAdded.join(", ")}`);
  env.stdout(parts.length ? `${name}: ${parts.join("; ")}\n` : UP_TO_DATE.replace("{file}", name));
  return 0;
}

/** An app given by path that is not under apps/ (or not yet in the pipeline). */
async function loadExplicit(
  dir: string,
  path: string,
  project: Awaited<ReturnType<typeof openProject>>,
  all: readonly ProjectApp[],
): Promise<ProjectApp> {
  const application = path.replace(/^\.\//, "");
  const entry = resolveApplication(project.pipeline?.dir ?? dir, application);
  if (!/[/.]/.test(application) && !existsSync(entry)) {
    // A bare word that is no deployment or app name, and no module either.
    const known = all.map((a) => a.name);
    throw new CliError(
      `no app or deployment "${application}" in this project (apps: ${
        known.join(", ") || "none"
      }); name one of them, or a module path like apps/${application}.ts`,
    );
  }
  const { apps, problems } = await loadProjectApps([{ application, entry }]);
  if (problems.length) throw new CliError(problems.map((p) => p.message).join("\n"));
  return apps[0];
}

async function view(
  output: string,
  direction: "LR" | "TD",
  env: Parameters<CliCommand["run"]>[1],
): Promise<number> {
  const project = await openProject(env.cwd, true);
  const pipeline = project.pipeline!;
  // inputType is optional in sa.yaml: fill it from the apps when they load.
  const declared = new Map<string, Map<string, VariableInputType>>();
  try {
    for (const app of await loadAppsOrFail(project, { checkVariables: false })) {
      declared.set(app.name, new Map(app.definition.variables.map((v) => [v.name, v.inputType])));
    }
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    env.stderr(
      `warning: drawing from ${basename(pipeline.file)} only, as these apps could not be ` +
        `loaded:\n${err.message.split("\n").map((l) => `  ${l}`).join("\n")}\n`,
    );
  }
  const graph = pipelineGraph(pipeline, declared);
  env.stdout(renderGraphText(graph));
  await writeTextOrFail(
    resolve(env.cwd, output),
    renderPipelineMarkdown(graph, basename(pipeline.file), direction),
  );
  env.stderr(`Wrote ${output}\n`);
  return 0;
}
