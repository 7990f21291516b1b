/**
 * Test helpers for the tooling commands: a captured {@link CliEnv}, temp projects and golden
 * files (`UPDATE_GOLDEN=1 deno test ...` rewrites them).
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CliCommand, CliEnv } from "../../lib/cli/_command.ts";

/** Output captured from one command run. */
export interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

/** A CliEnv writing into strings. */
export function captureEnv(
  cwd: string,
  env: Record<string, string> = {},
  signal = new AbortController().signal,
): CliEnv & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    cwd,
    env,
    out,
    err,
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    isTty: false,
    signal,
  };
}

/** Runs a command with a captured env; CliErrors become `{code, stderr}` like the real CLI. */
export async function runCommand(
  command: CliCommand,
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<Captured> {
  const e = captureEnv(cwd, env);
  try {
    const code = await command.run(argv, e);
    return { code, stdout: e.out.join(""), stderr: e.err.join("") };
  } catch (err) {
    if (err instanceof Error && err.name === "CliError") {
      e.err.push(`sa ${command.name}: ${err.message}\n`);
      return {
        code: (err as Error & { exitCode: number }).exitCode,
        stdout: e.out.join(""),
        stderr: e.err.join(""),
      };
    }
    throw err;
  }
}

/** Runs `fn` in a fresh temp folder that is removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "sa_t_" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Absolute path of a file under tests/fixtures/. */
export function fixturePath(rel: string): string {
  return fileURLToPath(new URL(`../fixtures/${rel}`, import.meta.url));
}

/** Compares `actual` with a golden file; `UPDATE_GOLDEN=1` rewrites the file instead. */
export async function assertGolden(rel: string, actual: string): Promise<void> {
  const file = fixturePath(rel);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.mkdir(dirname(file), { recursive: true });
    await Deno.writeTextFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(file);
  } catch {
    throw new Error(`golden file ${rel} is missing; run with UPDATE_GOLDEN=1 to create it`);
  }
  assert.equal(actual, expected, `output differs from golden file ${rel}`);
}

/** The toolkit's define_app.ts as a file URL, for app modules written into temp projects. */
export const DEFINE_APP_URL = new URL("../../lib/stream/define_app.ts", import.meta.url).href;

/** Writes a minimal app module declaring `variables` into `dir/rel`. */
export async function writeApp(
  dir: string,
  rel: string,
  name: string,
  variables: {
    name: string;
    inputType: string;
    defaultValue?: string;
    required?: boolean;
    description?: string;
  }[],
): Promise<string> {
  const file = join(dir, rel);
  await Deno.mkdir(dirname(file), { recursive: true });
  await Deno.writeTextFile(
    file,
    `import { defineApp } from "${DEFINE_APP_URL}";\n` +
      `export default defineApp({ name: ${JSON.stringify(name)}, variables: ${
        JSON.stringify(variables)
      }, main() {} });\n`,
  );
  return file;
}

/**
 * The two-app project the pipeline and vars tests share: replay (output with a description,
 * speed) and normalize (input, output, a required secret token), under apps/.
 */
export async function writeReplayNormalize(dir: string): Promise<void> {
  await writeApp(dir, "apps/replay.ts", "replay", [
    {
      name: "output",
      inputType: "OutputTopic",
      defaultValue: "raw-data",
      required: true,
      description: "Where to write",
    },
    { name: "speed", inputType: "FreeText", defaultValue: "1" },
  ]);
  await writeApp(dir, "apps/normalize.ts", "normalize", [
    { name: "input", inputType: "InputTopic", defaultValue: "raw-data", required: true },
    { name: "output", inputType: "OutputTopic", defaultValue: "table-data", required: true },
    { name: "token", inputType: "Secret", required: true },
  ]);
}
