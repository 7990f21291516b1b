/**
 * `sa compose`: write `compose/docker-compose.yml` and a Dockerfile per deployment.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type CliCommand, CliError } from "./_command.ts";
import { parseCommandArgs, str } from "./_args.ts";
import { loadAppsOrFail, openProject, writeTextOrFail } from "./_project.ts";
import { COMPOSE_DIR, generateCompose } from "../project/compose.ts";
import { defaultToolkitModule } from "../project/scaffold.ts";
import { composeTool } from "./_docker.ts";

/** When the toolkit's folder cannot be derived (e.g. from a compiled binary). */
export const NO_TOOLKIT_DIR =
  "cannot tell where the sa toolkit is on disk; pass --toolkit <folder with cli.ts and mod.ts>";

/** The `compose` command. */
export const command: CliCommand = {
  name: "compose",
  summary: "Write compose/docker-compose.yml (Redpanda, Console, one service per app)",
  help: `Usage: sa compose [--toolkit DIR] [--deno-version V]

Writes compose/docker-compose.yml for the pipeline in sa.yaml:
  kafka-broker    Redpanda; kafka-broker:9092 inside, localhost:19092 outside
  console         Redpanda Console on http://localhost:8080
  create-topics   creates the topics declared in sa.yaml
  <deployment>    one per enabled deployment, built from compose/<deployment>.Dockerfile
                  (official denoland/deno image running \`sa run <app>\`), with its variables,
                  SA_BROKER=kafka-broker:9092 and its replicas; an allowNet entry on
                  0.0.0.0:<port> (a server such as the gateway) publishes that port
  influxdb        InfluxDB 1.8, when a variable holds http://127.0.0.1:8086 (rewritten to
                  http://influxdb:8086 inside) or an allowNet entry names influxdb:8086
  mosquitto       Mosquitto 2 on 1883, likewise for mqtt://127.0.0.1:1883 or mosquitto:1883
The sa toolkit is mounted read-only into each app container at /sa, from the path given by
SA_TOOLKIT when you run compose, else its path relative to compose/ when generated.
A deployment with a loop variable set to false (a replay that ends) gets restart: "no".
Deployments and their apps are validated before anything is written.

Options:
  --toolkit DIR        the sa toolkit folder to mount (default: this sa's folder)
  --deno-version V     denoland/deno image tag (default: this Deno, ${Deno.version.deno})

Examples:
  sa compose
  docker compose -f compose/docker-compose.yml up --build
`,
  async run(argv, env) {
    const args = parseCommandArgs("compose", argv, {
      toolkit: { type: "string" },
      "deno-version": { type: "string" },
    });
    if (args.positionals.length) {
      throw new CliError(`unexpected arguments: ${args.positionals.join(" ")}`, 2);
    }
    const project = await openProject(env.cwd, true);
    const apps = await loadAppsOrFail(project);
    const toolkitDir = str(args, "toolkit")
      ? resolve(env.cwd, str(args, "toolkit")!)
      : defaultToolkitDir();
    const denoVersion = str(args, "deno-version") ?? Deno.version.deno;
    if (!/^[A-Za-z0-9._-]+$/.test(denoVersion)) {
      throw new CliError(`--deno-version "${denoVersion}" is not an image tag`, 2);
    }
    let files;
    try {
      files = generateCompose({ pipeline: project.pipeline!, apps, toolkitDir, denoVersion });
    } catch (err) {
      throw new CliError(err instanceof Error ? err.message : String(err));
    }
    await Deno.mkdir(join(env.cwd, COMPOSE_DIR), { recursive: true });
    for (const [rel, text] of Object.entries(files)) {
      await writeTextOrFail(join(project.dir, rel), text);
    }
    const tool = await composeTool(env.env.PATH);
    env.stdout(
      `Wrote ${COMPOSE_DIR}/docker-compose.yml and ${
        Object.keys(files).filter((f) => f.endsWith(".Dockerfile")).length
      } Dockerfile(s)\n` +
        (tool
          ? `Run: ${tool.display} -f ${COMPOSE_DIR}/docker-compose.yml up --build\n`
          : "Docker Compose is not installed here (neither `docker compose` nor " +
            "`docker-compose`); install Docker, or run the pipeline without it: `sa up`\n"),
    );
    return 0;
  },
};

/** The folder holding the toolkit's mod.ts, when it is on disk. */
export function defaultToolkitDir(): string {
  const url = defaultToolkitModule();
  // A compiled binary runs from a virtual file system: no real folder to mount.
  if (!url.startsWith("file:") || url.includes("deno-compile-")) throw new CliError(NO_TOOLKIT_DIR);
  return dirname(fileURLToPath(url));
}
