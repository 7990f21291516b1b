/**
 * Runs Debian's `promtool check metrics` on an exposition text: the format parser and linter
 * Prometheus itself uses. Throws with promtool's output when it finds anything.
 *
 * @module
 */

/** Path of promtool (Debian package `prometheus`). */
export const PROMTOOL = "/usr/bin/promtool";

/** Checks `text`; resolves when promtool reports no problem at all. */
export async function promtoolCheck(text: string): Promise<void> {
  const child = new Deno.Command(PROMTOOL, {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(text));
  await w.close();
  const out = await child.output();
  const report = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success || report.trim() !== "") {
    throw new Error(`promtool check metrics failed (exit ${out.code}):\n${report}\n---\n${text}`);
  }
}

/** The samples of `name` as [labels, value] pairs, from an exposition text. */
export function samples(text: string, name: string): [Record<string, string>, number][] {
  const out: [Record<string, string>, number][] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) continue;
    const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    out.push([labels, Number(m[3])]);
  }
  return out;
}
