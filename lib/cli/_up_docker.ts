/**
 * `sa up --docker`: the same pipeline in containers, through `sa compose` and
 * `docker compose` (or `docker-compose`, whichever is installed).
 *
 * @module
 */
import { join } from "node:path";
import { type CliEnv, CliError } from "./_command.ts";
import type { Pipeline } from "../project/pipeline.ts";
import { composeTool } from "./_docker.ts";

/** `sa up --docker`: generate compose/ with `sa compose`, then `docker-compose up --build`. */
export async function upDocker(
  pipeline: Pipeline,
  opts: { detach: boolean },
  env: CliEnv,
): Promise<number> {
  const { command: compose } = await import("./compose.ts");
  const code = await compose.run([], { ...env, cwd: pipeline.dir });
  if (code !== 0) return code;
  const tool = await composeTool(env.env.PATH);
  if (!tool) {
    throw new CliError(
      "neither docker-compose nor `docker compose` is installed; run `sa up` without --docker " +
        "(no Docker needed)",
    );
  }
  const file = join(pipeline.dir, "compose", "docker-compose.yml");
  const args = [...tool.args, "-f", file, "up", "--build", ...(opts.detach ? ["-d"] : [])];
  env.stderr(`sa up: ${tool.cmd} ${args.join(" ")}\n`);
  const child = new Deno.Command(tool.cmd, {
    args,
    cwd: pipeline.dir,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const onAbort = () => {
    try {
      child.kill("SIGINT");
    } catch { /* exited */ }
  };
  env.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const st = await child.status;
    if (st.success || env.signal.aborted) return 0;
    throw new CliError(
      `${tool.cmd} exited with code ${st.code}: is the Docker engine running? ` +
        "`sa up` without --docker runs the same pipeline with no Docker at all",
    );
  } finally {
    env.signal.removeEventListener("abort", onAbort);
  }
}
