/**
 * `sa logs <name> [-f]`: prints a deployment's log (or the broker's, or sa up's own) from
 * `.sa/logs/`, optionally following it as it grows.
 *
 * @module
 */
import { join } from "node:path";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { flag, int, parseCommandArgs } from "./_args.ts";
import { saPaths } from "../runner/project_state.ts";
import { projectDir } from "./down.ts";

const HELP = `Usage: sa logs <name> [options]

Prints the log of a deployment of the running (or last) sa up, from .sa/logs/<name>.log.
<name> is a deployment name, "broker" or "up" (sa up's own output).

Options:
  -f, --follow     Keep printing new lines until Ctrl+C
  -n, --tail <n>   Only the last n lines
  -h, --help       Show this help

Examples:
  sa logs normalize -f
  sa logs broker -n 20
`;

async function available(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".log")) names.push(e.name.slice(0, -4));
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names.sort();
}

async function logs(argv: string[], env: CliEnv): Promise<number> {
  const p = parseCommandArgs("logs", argv, {
    follow: { type: "boolean", short: "f" },
    tail: { type: "string", short: "n" },
  });
  const name = p.positionals[0];
  const paths = saPaths(await projectDir(env.cwd));
  if (!name || p.positionals.length > 1) {
    const names = await available(paths.logsDir);
    throw new CliError(
      `expected one log name${names.length ? ` (available: ${names.join(", ")})` : ""}`,
      2,
    );
  }
  const file = join(paths.logsDir, `${name}.log`);
  let fh: Deno.FsFile;
  try {
    fh = await Deno.open(file, { read: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    const names = await available(paths.logsDir);
    throw new CliError(
      names.length
        ? `no log named "${name}"; available: ${names.join(", ")}`
        : `no logs in ${paths.logsDir}: start the pipeline with \`sa up\``,
    );
  }
  const dec = new TextDecoder();
  const buf = new Uint8Array(64 * 1024);
  try {
    const tail = int(p, "tail");
    let text = "";
    for (let n = await fh.read(buf); n !== null; n = await fh.read(buf)) {
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
    if (tail !== undefined) {
      const lines = text.split("\n");
      if (lines[lines.length - 1] === "") lines.pop();
      text = lines.slice(Math.max(0, lines.length - tail)).join("\n") + (lines.length ? "\n" : "");
    }
    env.stdout(text);
    if (!flag(p, "follow")) return 0;
    let pos = await fh.seek(0, Deno.SeekMode.Current);
    while (!env.signal.aborted) {
      await new Promise((r) => setTimeout(r, 200));
      const st = await Deno.stat(file).catch(() => null);
      const size = st?.size ?? 0;
      if (st && st.ino !== null && st.ino !== (await fh.stat()).ino) {
        // sa up rotated the log (<name>.log -> <name>.log.1): finish the old file, then follow
        // the new one from its start.
        for (let n = await fh.read(buf); n !== null; n = await fh.read(buf)) {
          env.stdout(dec.decode(buf.subarray(0, n), { stream: true }));
        }
        fh.close();
        fh = await Deno.open(file, { read: true });
        pos = 0;
      } else if (size < pos) {
        // sa up restarted and truncated the log: start over.
        pos = await fh.seek(0, Deno.SeekMode.Start);
      }
      for (let n = await fh.read(buf); n !== null; n = await fh.read(buf)) {
        env.stdout(dec.decode(buf.subarray(0, n), { stream: true }));
        pos += n;
      }
    }
    return 0;
  } finally {
    fh.close();
  }
}

/** `sa logs`. */
export const command: CliCommand = {
  name: "logs",
  summary: "Print (or follow) a deployment's log from sa up",
  help: HELP,
  run: logs,
};
