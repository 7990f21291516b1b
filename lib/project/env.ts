/**
 * `.env` files: read them as the apps see them.
 *
 * Besides the shared `.env`, each app may have its own `.env.<name>` (`<name>` is the
 * deployment name, else the module's file name), as Quix scopes variables per app in its
 * app.yaml: a value there applies to that app only, so `output=raw-data` set for the replay
 * app cannot leak into the app that reads `raw-data`.
 *
 * @module
 */
import { parse } from "dotenv";
import { join } from "node:path";

/** Reads a `.env` file into a record; a missing file is `{}`. */
export async function readDotEnv(file: string): Promise<Record<string, string>> {
  return (await readDotEnvFile(file)).values;
}

/** A `.env` file's values and the 1-based line each key is set on (the last one wins). */
export interface DotEnvFile {
  values: Record<string, string>;
  lines: Record<string, number>;
}

/** Reads a `.env` file with the line of each key; a missing file has no values. */
export async function readDotEnvFile(file: string): Promise<DotEnvFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { values: {}, lines: {} };
    throw err;
  }
  const lines: Record<string, number> = {};
  text.split(/\r?\n/).forEach((l, i) => {
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*=/.exec(l);
    if (m) lines[m[1]] = i + 1;
  });
  return { values: parseDotEnv(text), lines };
}

/** The per-app variables file of app (or deployment) `name` in project `dir`. */
export function appDotEnvPath(dir: string, name: string): string {
  return join(dir, `.env.${name.replace(/[^A-Za-z0-9_.-]/g, "_")}`);
}

/** Parses `.env` text (`KEY=value`, `#` comments, quoted values). */
export function parseDotEnv(text: string): Record<string, string> {
  return { ...parse(text) };
}
