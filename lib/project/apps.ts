/**
 * The apps of a project: found in `apps/` (a `.ts` module, or a folder with `main.ts` or an
 * `app.yaml`) and in the pipeline's deployments, then imported to read their variables.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { basename, extname, join, relative, resolve } from "node:path";
import type { AppDefinition } from "../stream/define_app.ts";
import { AppModuleError, loadAppDefinition } from "./manifest.ts";
import { type Deployment, type Pipeline, resolveAppEntry, resolveApplication } from "./pipeline.ts";
import { checkDeploymentVariables } from "./variables.ts";

/** Where apps are looked for, relative to the project directory. */
export const APPS_DIR = "apps";

/** An app found in the project, not yet imported. */
export interface AppRef {
  /** Path as written in `application:`, relative to the project (`apps/normalize.ts`). */
  application: string;
  /** Absolute module path. */
  entry: string;
  /** The deployment that runs it, when the pipeline has one. */
  deployment?: Deployment;
}

/** An imported app. */
export interface ProjectApp extends AppRef {
  definition: AppDefinition;
  /** Deployment name: the existing deployment's, else the app's declared name. */
  name: string;
}

/**
 * Lists the apps of a project: the pipeline's deployments first (in file order), then modules
 * in `apps/` no deployment runs yet, sorted by path.
 */
export async function discoverApps(dir: string, pipeline?: Pipeline | null): Promise<AppRef[]> {
  const root = resolve(dir);
  const refs: AppRef[] = [];
  const seen = new Set<string>();
  for (const d of pipeline?.deployments ?? []) {
    const entry = resolveAppEntry(pipeline!, d);
    refs.push({ application: d.application, entry, deployment: d });
    seen.add(entry);
  }
  const found: AppRef[] = [];
  const appsDir = join(root, APPS_DIR);
  let entries: Deno.DirEntry[] = [];
  try {
    entries = await Array.fromAsync(Deno.readDir(appsDir));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  for (const e of entries) {
    if (e.name.startsWith("_") || e.name.startsWith(".")) continue;
    const path = join(appsDir, e.name);
    if (
      e.isFile && [".ts", ".js", ".mts"].includes(extname(e.name)) &&
      !/_test\.m?[jt]s$/.test(e.name)
    ) {
      if (!seen.has(path)) found.push({ application: relative(root, path), entry: path });
    } else if (e.isDirectory) {
      const hasApp = ["main.ts", "app.yaml", "app.yml"].some((f) => existsSync(join(path, f)));
      if (!hasApp) continue;
      const application = relative(root, path);
      const entry = resolveApplication(root, application);
      if (!seen.has(entry)) found.push({ application, entry });
    }
  }
  found.sort((a, b) => a.application.localeCompare(b.application));
  return [...refs, ...found];
}

/** A problem with one app or deployment; `subject` names it. */
export interface AppProblem {
  subject: string;
  message: string;
}

/**
 * Imports every app. Problems (missing module, import failure, a deployment setting a
 * variable its app does not declare) are collected, not thrown, so a command reports all of
 * them at once before writing anything.
 */
export async function loadProjectApps(
  refs: readonly AppRef[],
): Promise<{ apps: ProjectApp[]; problems: AppProblem[] }> {
  const apps: ProjectApp[] = [];
  const problems: AppProblem[] = [];
  for (const ref of refs) {
    const subject = ref.deployment ? `deployment "${ref.deployment.name}"` : ref.application;
    let definition: AppDefinition;
    try {
      definition = await loadAppDefinition(ref.entry);
    } catch (err) {
      if (err instanceof AppModuleError) {
        const where = `${ref.application}${err.at ? `:${err.at}` : ""}`;
        const reason = err.message.slice(err.message.indexOf(": ", err.file.length) + 2);
        problems.push({
          subject,
          message: subject === ref.application
            ? `${where}: ${reason}`
            : `${subject}: ${where}: ${reason}`,
        });
        continue;
      }
      throw err;
    }
    apps.push({ ...ref, definition, name: ref.deployment?.name ?? definition.name });
  }
  const names = new Map<string, string>();
  for (const app of apps) {
    const other = names.get(app.name);
    if (other) {
      problems.push({
        subject: app.application,
        message:
          `${app.application}: app name "${app.name}" is also used by ${other}; give one of them another name in defineApp`,
      });
    }
    names.set(app.name, app.application);
  }
  return { apps, problems };
}

/** Deployments whose variables do not match their app's declarations. */
export function checkApps(apps: readonly ProjectApp[]): AppProblem[] {
  const problems: AppProblem[] = [];
  for (const app of apps) {
    if (!app.deployment) continue;
    for (const message of checkDeploymentVariables(app.deployment, app.definition.variables)) {
      problems.push({ subject: `deployment "${app.deployment.name}"`, message });
    }
  }
  return problems;
}

/** Finds an app by deployment name, app name, path or file stem; null when none matches. */
export function findApp(apps: readonly ProjectApp[], query: string): ProjectApp | null {
  const q = query.replace(/^\.\//, "");
  return apps.find((a) =>
    a.name === q || a.definition.name === q || a.application === q ||
    basename(a.application, extname(a.application)) === q
  ) ?? null;
}
