/**
 * Project loading for the tooling commands, turning every project problem into a one-line
 * {@link CliError} (or, for several problems, one line each).
 *
 * @module
 */
import { CliError } from "./_command.ts";
import {
  findPipelineFile,
  loadPipeline,
  type Pipeline,
  PipelineError,
} from "../project/pipeline.ts";
import { checkApps, discoverApps, loadProjectApps, type ProjectApp } from "../project/apps.ts";

/** A project folder and its pipeline file, when it has one. */
export interface OpenProject {
  dir: string;
  pipeline: Pipeline | null;
}

/** Message when a command needs a pipeline file and there is none. */
export const NO_PIPELINE = "no sa.yaml (or quix.yaml) in {dir}; run `sa init` first";

/** Reads the project's pipeline file; `required` makes its absence an error. */
export async function openProject(dir: string, required = false): Promise<OpenProject> {
  const file = await findPipelineFile(dir);
  if (!file) {
    if (required) throw new CliError(NO_PIPELINE.replace("{dir}", dir));
    return { dir, pipeline: null };
  }
  try {
    return { dir, pipeline: await loadPipeline(file) };
  } catch (err) {
    if (err instanceof PipelineError) throw new CliError(err.message);
    throw err;
  }
}

/**
 * Imports every app of the project and validates deployments against their apps. All
 * problems are reported together (one per line) before anything is written.
 */
export async function loadAppsOrFail(
  project: OpenProject,
  options: { checkVariables?: boolean } = {},
): Promise<ProjectApp[]> {
  const refs = await discoverApps(project.dir, project.pipeline);
  const { apps, problems } = await loadProjectApps(refs);
  if (options.checkVariables ?? true) problems.push(...checkApps(apps));
  if (problems.length) throw new CliError(problems.map((p) => p.message).join("\n"));
  return apps;
}

/** Writes a file, turning a failure (missing folder, permissions) into a one-line error. */
export async function writeTextOrFail(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/ \(os error \d+\).*$/, "") : err;
    throw new CliError(`cannot write ${path}: ${reason}`);
  }
}
