/**
 * `deno task install`: installs `sa` with `deno install --global`, then makes sure the shell
 * can find it: when the bin folder is not on PATH, it says which line to add, and where.
 *
 * `--root DIR` installs under DIR/bin instead of Deno's default (~/.deno/bin).
 *
 * @module
 */
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The advice printed when `binDir` is not on `path`; null when it is. */
export function pathAdvice(binDir: string, path: string, shell: string): string | null {
  if (path.split(delimiter).some((p) => p.replace(/\/$/, "") === binDir.replace(/\/$/, ""))) {
    return null;
  }
  const rc = shell.endsWith("zsh")
    ? "~/.zshrc"
    : shell.endsWith("fish")
    ? "~/.config/fish/config.fish"
    : "~/.bashrc";
  const line = shell.endsWith("fish") ? `fish_add_path ${binDir}` : `export PATH="${binDir}:$PATH"`;
  return `sa is installed in ${binDir}, which is not on your PATH yet. Add this line to ${rc}, ` +
    `then open a new terminal:\n  ${line}\n(until then, run it as ${join(binDir, "sa")})`;
}

/** The bin folder `deno install --global` uses. */
export function binDir(root: string | undefined, env: Record<string, string>): string {
  const base = root ?? env.DENO_INSTALL_ROOT ?? join(env.HOME ?? env.USERPROFILE ?? "", ".deno");
  return join(base, "bin");
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--root");
  const root = i >= 0 ? Deno.args[i + 1] : undefined;
  const here = fileURLToPath(new URL("../", import.meta.url));
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "install",
      "--global",
      "--force",
      "--allow-all",
      "--unstable-worker-options",
      "--config",
      join(here, "deno.json"),
      ...(root ? ["--root", root] : []),
      "--name",
      "sa",
      join(here, "cli.ts"),
    ],
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    console.error(err.trim());
    Deno.exit(out.code || 1);
  }
  const env = Deno.env.toObject();
  const bin = binDir(root, env);
  console.log(`Installed sa in ${bin}`);
  const advice = pathAdvice(bin, env.PATH ?? "", env.SHELL ?? "");
  console.log(advice ?? "It is on your PATH: try `sa --help`.");
}
