/**
 * `sa apps create`: write an app from a template into a project.
 *
 * @module
 */
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { type AppTemplate, findTemplate, TEMPLATES } from "../templates/mod.ts";

/** Thrown for an unknown template id; the message lists the templates. */
export class UnknownTemplateError extends Error {
  constructor(readonly id: string) {
    super(
      `unknown template "${id}". Templates:\n` +
        TEMPLATES.map((t) => `  ${t.id.padEnd(24)} ${t.summary}`).join("\n"),
    );
    this.name = "UnknownTemplateError";
  }
}

/** Thrown when a file to write exists and `force` is not set; nothing was written. */
export class AppExistsError extends Error {
  constructor(readonly paths: string[]) {
    super(
      `${paths.join(", ")} already exist${paths.length === 1 ? "s" : ""}; use --force to overwrite`,
    );
    this.name = "AppExistsError";
  }
}

/** Options for {@link createApp}. */
export interface CreateAppOptions {
  /** Project folder. */
  dir: string;
  template: string;
  /**
   * Where to put the app, relative to `dir`: a `.ts` file (`apps/normalize.ts`) or a folder
   * (`apps/normalize` → `apps/normalize/main.ts`).
   */
  path: string;
  /** App name; defaults to the file stem or folder name. */
  name?: string;
  force?: boolean;
}

/** What {@link createApp} wrote, relative to the project. */
export interface CreateAppResult {
  name: string;
  /** The app module. */
  module: string;
  files: string[];
}

/** Derives an app name from a path: `apps/my_app.ts` → `my_app`, `apps/normalize/` → `normalize`. */
export function appNameFromPath(path: string): string {
  const stem = extname(path) === ".ts" ? basename(path, ".ts") : basename(path);
  return stem.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "app";
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Writes the template's files; checks every target first and writes nothing on conflict. */
export async function createApp(opts: CreateAppOptions): Promise<CreateAppResult> {
  const template: AppTemplate | undefined = findTemplate(opts.template);
  if (!template) throw new UnknownTemplateError(opts.template);
  const root = resolve(opts.dir);
  const target = resolve(root, opts.path);
  const rel = relative(root, target);
  if (rel.startsWith("..") || rel === "") {
    throw new Error(`-p ${opts.path}: the app must be inside the project (${root})`);
  }
  const isFile = extname(target) === ".ts";
  const modulePath = isFile ? target : join(target, "main.ts");
  const name = opts.name ?? appNameFromPath(opts.path.replace(/\/+$/, ""));
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
    throw new Error(
      `app name "${name}" must start with a letter or digit and use only letters, digits, ".", "_", "-"`,
    );
  }
  const moduleRel = relative(root, modulePath).replaceAll("\\", "/");
  const rendered = template.render(name, moduleRel);
  const files = new Map<string, string>([[modulePath, rendered.main]]);
  for (const [file, text] of Object.entries(rendered.extra)) {
    files.set(join(dirname(modulePath), file), text);
  }
  // Project-level files are shared (a second replay app reads the same sample): an existing
  // one is kept, not a conflict.
  for (const [file, text] of Object.entries(rendered.project ?? {})) {
    const path = join(root, file);
    if (opts.force || !(await exists(path))) files.set(path, text);
  }
  if (!opts.force) {
    const existing: string[] = [];
    for (const f of files.keys()) {
      try {
        await Deno.lstat(f);
        existing.push(relative(root, f));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    if (existing.length) throw new AppExistsError(existing);
  }
  for (const [file, text] of files) {
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeTextFile(file, text);
  }
  return { name, module: moduleRel, files: [...files.keys()].map((f) => relative(root, f)) };
}
