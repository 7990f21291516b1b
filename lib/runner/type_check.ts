/**
 * Type-checks an app beside its start (`deno check`), as an editor would, and returns the
 * errors located in the student's own code: `apps/a.ts:8:9: TS2551: Property 'projec' does
 * not exist ... Did you mean 'project'?` with the code lines under it. Errors inside the
 * toolkit or packages are left out; without a `deno` executable (a compiled `sa`), nothing
 * is checked.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { toolkitRoot } from "./permissions.ts";

/** The `deno` to run `deno check` with, or null. */
function denoExecutable(): string | null {
  const exe = Deno.execPath();
  return /^deno(\.exe)?$/.test(basename(exe)) ? exe : null;
}

/**
 * Runs `deno check` on `entry` (with the project's deno.json, else the toolkit's) and returns
 * one formatted diagnostic per type error in the app's folder. `signal` stops the check.
 */
export async function typeCheck(
  entry: string,
  projectDir: string,
  signal?: AbortSignal,
): Promise<string[]> {
  const exe = denoExecutable();
  if (!exe) return [];
  const own = ["deno.json", "deno.jsonc"].some((f) => existsSync(join(projectDir, f)));
  const args = ["check", "--quiet"];
  if (!own) args.push("--config", join(toolkitRoot(), "deno.json"));
  args.push(entry);
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(exe, {
      args,
      cwd: projectDir,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
  } catch {
    return []; // stopped, or deno could not start: the app runs anyway
  }
  if (out.success) return [];
  const text = new TextDecoder().decode(out.stderr) + "\n" + new TextDecoder().decode(out.stdout);
  return parseDiagnostics(text, dirname(entry), projectDir);
}

/** Formats `deno check` output: only errors located under `appDir`, relative to `shownFrom`. */
export function parseDiagnostics(text: string, appDir: string, shownFrom: string): string[] {
  const lib = join(toolkitRoot(), "lib") + "/";
  const out: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split("\n");
    const head = /^(TS\d+) \[ERROR\]: (.*)$/.exec(lines[0]);
    if (!head) continue;
    const atIndex = lines.findIndex((l) => /^\s+at file:\/\//.test(l));
    if (atIndex < 0) continue;
    const at = /at (file:\/\/\S+?):(\d+):(\d+)/.exec(lines[atIndex])!;
    const path = decodeURIComponent(new URL(at[1]).pathname);
    if (!path.startsWith(appDir + "/") || path.startsWith(lib)) continue;
    const code = lines.slice(1, atIndex).map((l) => l.replace(/^ {4}/, "  "));
    out.push(
      [`${relative(shownFrom, path)}:${at[2]}:${at[3]}: ${head[1]}: ${head[2]}`, ...code].join(
        "\n",
      ),
    );
  }
  return out;
}
