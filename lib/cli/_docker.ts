/**
 * Which Compose front end is installed: `docker compose` (the Docker CLI plugin) or the older
 * `docker-compose`, looked up on the PATH the command runs with.
 *
 * @module
 */
import { delimiter, join } from "node:path";

/** An installed Compose command: the executable and the arguments before the subcommand. */
export interface ComposeTool {
  cmd: string;
  args: string[];
  /** How to write it for the user: `docker compose` or `docker-compose`. */
  display: string;
}

function which(name: string, path: string): string | null {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      if (Deno.statSync(file).isFile) return file;
    } catch { /* not here */ }
  }
  return null;
}

/** `docker compose` when the plugin answers, else `docker-compose`, else null. */
export async function composeTool(path = Deno.env.get("PATH") ?? ""): Promise<ComposeTool | null> {
  const candidates: ComposeTool[] = [];
  const docker = which("docker", path);
  if (docker) candidates.push({ cmd: docker, args: ["compose"], display: "docker compose" });
  const v1 = which("docker-compose", path);
  if (v1) candidates.push({ cmd: v1, args: [], display: "docker-compose" });
  for (const tool of candidates) {
    try {
      const out = await new Deno.Command(tool.cmd, {
        args: [...tool.args, "version"],
        env: { PATH: path },
        stdout: "null",
        stderr: "null",
      }).output();
      if (out.success) return tool;
    } catch { /* cannot run */ }
  }
  return null;
}
