/**
 * `sa init`: lay out a new project in a folder without touching existing files unless asked.
 *
 * @module
 */
import { basename, join, resolve } from "node:path";
import toolkitConfig from "../../deno.json" with { type: "json" };
import { denoJson, DOT_ENV, GITIGNORE, readme, SA_YAML } from "../templates/project.ts";

/** Options for {@link initProject}. */
export interface InitOptions {
  /** Overwrite files that already exist. */
  force?: boolean;
  /** Module specifier apps use for `@sa/toolkit`; defaults to this toolkit's `mod.ts`. */
  toolkitModule?: string;
}

/** What {@link initProject} did. */
export interface InitResult {
  dir: string;
  /** Paths written, relative to `dir`. */
  written: string[];
}

/** Thrown when files exist and `force` is not set; nothing has been written. */
export class InitConflictError extends Error {
  constructor(readonly dir: string, readonly existing: string[]) {
    super(
      `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""} in ${dir}; ` +
        "use --force to overwrite",
    );
    this.name = "InitConflictError";
  }
}

/** The toolkit's `mod.ts` as a URL string (a string, never read relative to this file). */
export function defaultToolkitModule(): string {
  return new URL("../../mod.ts", import.meta.url).href;
}

/** The files `sa init` writes, by relative path. */
export function projectFiles(dir: string, toolkitModule: string): Record<string, string> {
  return {
    "sa.yaml": SA_YAML,
    ".gitignore": GITIGNORE,
    ".env": DOT_ENV,
    "deno.json": denoJson(toolkitModule, toolkitConfig.imports),
    "README.md": readme(basename(resolve(dir))),
  };
}

/**
 * Creates the project files in `dir` (created if needed). Checks every file first: if any
 * exists and `force` is not set, throws {@link InitConflictError} before writing anything.
 */
export async function initProject(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const abs = resolve(dir);
  const files = projectFiles(abs, options.toolkitModule ?? defaultToolkitModule());
  try {
    const st = await Deno.stat(abs);
    if (!st.isDirectory) throw new Error(`${abs} exists and is not a directory`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (!options.force) {
    const existing: string[] = [];
    for (const name of Object.keys(files)) {
      if (await exists(join(abs, name))) existing.push(name);
    }
    if (existing.length) throw new InitConflictError(abs, existing);
  }
  await Deno.mkdir(join(abs, "apps"), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(join(abs, name), text);
  }
  return { dir: abs, written: Object.keys(files) };
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
