/**
 * App modules: import one and check that its default export is an app declared with
 * `defineApp`.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { splitImportError } from "../util/import_error.ts";
import { type AppDefinition, isAppDefinition } from "../stream/define_app.ts";

/** An app module that cannot be used, with the file in the message. */
export class AppModuleError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    /** `line:col` of a syntax error, when known. */
    readonly at?: string,
  ) {
    super(`${file}${at ? `:${at}` : ""}: ${reason}`);
    this.name = "AppModuleError";
  }
}

/**
 * Imports an app module and returns its `defineApp` default export. Throws
 * {@link AppModuleError} naming the file when it is missing, fails to load, or does not
 * default-export an app.
 */
export async function loadAppDefinition(file: string): Promise<AppDefinition> {
  const abs = resolve(file);
  try {
    if (!(await Deno.stat(abs)).isFile) throw new AppModuleError(abs, "is not a file");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new AppModuleError(abs, "app module not found");
    throw err;
  }
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(abs).href);
  } catch (err) {
    const { head, frame, at } = splitImportError(err instanceof Error ? err.message : String(err));
    if (at && at.path === abs && frame.length) {
      // A syntax error in the app itself: its line, column and code frame, as `sa run` shows.
      throw new AppModuleError(abs, [head, ...frame].join("\n"), `${at.line}:${at.col}`);
    }
    throw new AppModuleError(abs, `cannot load the app module: ${head}`);
  }
  if (!isAppDefinition(mod.default)) {
    throw new AppModuleError(
      abs,
      "the default export is not an app; write `export default defineApp({ name, variables, main })`",
    );
  }
  return mod.default;
}
