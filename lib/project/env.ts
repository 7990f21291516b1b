/**
 * `.env` files: read them as the apps see them.
 *
 * @module
 */
import { parse } from "dotenv";

/** Reads a `.env` file into a record; a missing file is `{}`. */
export async function readDotEnv(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    throw err;
  }
  return parseDotEnv(text);
}

/** Parses `.env` text (`KEY=value`, `#` comments, quoted values). */
export function parseDotEnv(text: string): Record<string, string> {
  return { ...parse(text) };
}
