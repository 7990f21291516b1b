/**
 * `sa run <app.ts>`: runs one app in a sandboxed worker against a broker.
 *
 * Variables resolve from the process environment, then `.env`, then the pipeline file's
 * deployment for that app, then the app's defaults. The broker is checked up front with a
 * short timeout so a typo or a stopped broker is reported at once, with the fix.
 *
 * @module
 */
import { isAbsolute, join, relative, resolve } from "node:path";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { flag, parseCommandArgs, str } from "./_args.ts";
import { type Deployment, type Pipeline, resolveAppEntry } from "../project/pipeline.ts";
import { openProject } from "./_project.ts";
import { appDotEnvPath, readDotEnvFile } from "../project/env.ts";
import { topicLoopProblem } from "../project/topic_loop.ts";
import { resolveVariables } from "../project/variables.ts";
import { deploymentSecurity } from "../project/connection.ts";
import { BrokerUnreachableError, checkBroker } from "../runner/broker_check.ts";
import { pickBroker, pickSecurityEnv, securityFrom } from "./_kafka.ts";
import {
  appRuntimeEnv,
  deploymentHttpPort,
  projectFileReads,
  sandboxGrant,
  securityFiles,
  ungrantedReads,
} from "../runner/permissions.ts";
import { describeSecurity } from "../stream/kafka/security.ts";
import { AppSandbox, SandboxError } from "../runner/sandbox.ts";
import { skipAdvice } from "../runner/supervisor.ts";
import { saPaths } from "../runner/project_state.ts";
import { claimInstanceSlot } from "../runner/instance_id.ts";
import { typeCheck } from "../runner/type_check.ts";

const HELP = `Usage: sa run <app.ts> [options]

Runs one app (a module whose default export is defineApp(...)) in a sandboxed worker.

Variables resolve, highest first, from: the process environment, the app's own
.env.<name> (<name> is its deployment's name, else the module's file name), the shared .env,
the deployment of this app in sa.yaml (or quix.yaml), the app's declared defaults.
An app whose output topic is one of its input topics is refused before it starts.

The app may only connect to the broker (and hosts its deployment lists in allowNet), read
its own folder, write its state folder (.sa/state/<name>) and see its own variables.

Options:
  -b, --broker <host:port>  Kafka broker (default: SA_BROKER, Quix__Broker__Address, .env,
                            then localhost:19092)
  -n, --name <deployment>   Use this deployment's variables and allowNet from sa.yaml
                            (default: the deployment whose application is this file)
      --no-check            Skip the up-front broker connectivity check
      --type-check          Type-check the app beside its start (deno check) and show its
                            type errors at their line; the default on a terminal
      --no-type-check       Do not type-check
  -h, --help                Show this help

Examples:
  sa run apps/normalize.ts
  sa run apps/replay.ts --broker localhost:19092
  output=my-topic sa run apps/replay.ts
`;

/** The advice printed when the broker cannot be reached. */
export function brokerAdvice(source: string): string {
  return `the broker address came from ${source}. Start a local broker with \`sa up\` ` +
    `(or \`sa broker\`), or point to a running one with --broker host:port or SA_BROKER=host:port in .env`;
}

/** Finds the deployment that runs `entry` (or is named `name`). */
function findDeployment(
  pipeline: Pipeline | null,
  entry: string,
  name: string | undefined,
): Deployment | undefined {
  if (!pipeline) return undefined;
  if (name) {
    const d = pipeline.deployments.find((d) => d.name === name);
    if (!d) {
      const known = pipeline.deployments.map((d) => d.name).join(", ") || "none";
      throw new CliError(`no deployment "${name}" in ${pipeline.file} (deployments: ${known})`);
    }
    return d;
  }
  return pipeline.deployments.find((d) => resolveAppEntry(pipeline, d) === entry);
}

async function runApp(argv: string[], env: CliEnv): Promise<number> {
  const p = parseCommandArgs("run", argv, {
    broker: { type: "string", short: "b" },
    name: { type: "string", short: "n" },
    "no-check": { type: "boolean" },
    "type-check": { type: "boolean" },
    "no-type-check": { type: "boolean" },
  });
  const target = p.positionals[0];
  if (!target || p.positionals.length > 1) {
    throw new CliError("expected exactly one app module, e.g. `sa run apps/normalize.ts`", 2);
  }
  const entry = isAbsolute(target) ? target : resolve(env.cwd, target);
  try {
    if (!(await Deno.stat(entry)).isFile) throw new CliError(`${target} is not a file`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new CliError(`app module not found: ${entry}`);
    throw err;
  }

  const { pipeline } = await openProject(env.cwd);
  const deployment = findDeployment(pipeline, entry, str(p, "name"));
  const dotenvFile = await readDotEnvFile(join(env.cwd, ".env"));
  const dotenv = dotenvFile.values;
  const broker = pickBroker(str(p, "broker"), env.env, dotenv);
  // Secrets named by a deployment's secretKey: the environment, then .env.
  const secrets = (key: string) => env.env[key] || dotenv[key] || undefined;
  // Connection settings: the environment, then .env, then the deployment in sa.yaml.
  const fromPipeline = deployment
    ? deploymentSecurity(deployment, secrets, env.cwd)
    : { values: {}, missing: [] };
  if (fromPipeline.missing.length) {
    throw new CliError(
      `deployment "${deployment!.name}" refers to a secret that is not set: ` +
        `${fromPipeline.missing.join(", ")}; set it in .env or the environment`,
    );
  }
  const securityVars = { ...fromPipeline.values, ...pickSecurityEnv(env.env, dotenv, env.cwd) };
  const security = securityFrom(securityVars);

  let advertised: string[] = [];
  if (!flag(p, "no-check")) {
    try {
      advertised = (await checkBroker(broker.address, 3000, security)).brokers;
    } catch (err) {
      if (err instanceof BrokerUnreachableError) {
        throw new CliError(`${err.message}; ${brokerAdvice(broker.source)}`);
      }
      throw new CliError(`${(err as Error).message}`);
    }
  }

  const name = deployment?.name ?? entry.replace(/^.*\//, "").replace(/\.[^.]+$/, "");
  const appEnvPath = appDotEnvPath(env.cwd, name);
  const appEnvName = relative(env.cwd, appEnvPath);
  const appEnv = await readDotEnvFile(appEnvPath);
  const stateDir = join(saPaths(env.cwd).stateDir, name);
  await Deno.mkdir(stateDir, { recursive: true });
  // Files the known values name (e.g. the replay's recording) are readable from the start.
  const known: Record<string, string> = { ...dotenv, ...appEnv.values };
  for (const v of deployment?.variables ?? []) if (v.value) known[`sa.yaml ${v.name}`] = v.value;
  const grant = sandboxGrant({
    entry,
    brokers: [broker.address, ...advertised],
    allowNet: deployment?.allowNet,
    variableNames: deployment?.variables.map((v) => v.name),
    stateDir,
    extraRead: [...securityFiles(securityVars), ...projectFileReads(env.cwd, known)],
    httpPort: deploymentHttpPort(deployment?.variables ?? []),
  });

  const load = async (g: typeof grant) => {
    try {
      return await AppSandbox.load({ name, entry, grant: g, displayDir: env.cwd });
    } catch (err) {
      if (err instanceof SandboxError) throw new CliError(err.message);
      throw err;
    }
  };
  let sandbox = await load(grant);
  const resolved = resolveVariables({
    declared: sandbox.definition.variables,
    deployment,
    dotenv,
    appDotenv: { file: appEnvName, values: appEnv.values },
    processEnv: { ...env.env },
    secrets,
  });
  // A file named only by the app's default: a worker's permissions are fixed at its creation.
  const more = ungrantedReads(grant, projectFileReads(env.cwd, resolved.values));
  if (more.length) {
    sandbox.kill();
    sandbox = await load({ ...grant, read: [...grant.read, ...more] });
  }
  if (resolved.missing.length) {
    sandbox.kill();
    const lines = resolved.missing.map((v) =>
      `  ${v.name}${v.description ? ` (${v.description})` : ""}`
    );
    throw new CliError(
      `app "${sandbox.definition.name}" needs a value for:\n${lines.join("\n")}\n` +
        `Set it in .env (\`sa vars export\` writes one), under the deployment's variables in ` +
        `sa.yaml, or in the environment: \`${resolved.missing[0].name}=... sa run ${
          relative(env.cwd, entry)
        }\``,
    );
  }
  const loop = topicLoopProblem(sandbox.definition.name, sandbox.definition.variables, resolved, {
    dotenvLines: dotenvFile.lines,
    appDotenv: { file: appEnvName, lines: appEnv.lines },
    deployment,
    appFile: relative(env.cwd, entry) || entry,
  }, appEnvName);
  if (loop) {
    sandbox.kill();
    throw new CliError(loop);
  }
  const secret = new Set(
    sandbox.definition.variables.filter((v) => v.inputType === "Secret").map((v) => v.name),
  );
  const shown = Object.entries(resolved.values).map(([k, v]) =>
    `${k}=${secret.has(k) ? "***" : v} (${resolved.sources[k]})`
  );
  env.stderr(
    `sa run: ${sandbox.definition.name} (${relative(env.cwd, entry) || entry}) on broker ` +
      `${broker.address}${
        security.protocol === "PLAINTEXT" ? "" : ` (${describeSecurity(security)})`
      }${shown.length ? `; ${shown.join(", ")}` : ""}\n`,
  );
  // A stable static member id per concurrent run of this app (see runner/instance_id.ts).
  const slot = claimInstanceSlot(stateDir, name);
  sandbox.start(
    resolved.values,
    appRuntimeEnv(broker.address, stateDir, securityVars, resolve(env.cwd), slot.id),
  );
  // Type errors are shown beside the run (the app runs anyway, as `deno run` does).
  const checking = new AbortController();
  const wantCheck = !flag(p, "no-type-check") && (flag(p, "type-check") || env.isTty);
  const checked = wantCheck
    ? typeCheck(entry, env.cwd, checking.signal).then((errors) => {
      if (!errors.length) return;
      env.stderr(
        `sa run: ${errors.length} type error${errors.length > 1 ? "s" : ""} in ${
          relative(env.cwd, entry)
        }:\n${errors.join("\n")}\n`,
      );
    })
    : Promise.resolve();
  const onAbort = () => {
    checking.abort();
    void sandbox.stop(15_000);
  };
  env.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const exit = await sandbox.done;
    await checked;
    if (exit.kind === "exited") return 0;
    env.stderr(`sa run: ${exit.message}\n`);
    if (exit.kind === "failed" && exit.origin) {
      env.stderr(`sa run: ${skipAdvice(exit.origin)}\n`);
    }
    if (exit.kind === "failed" && exit.stack && !exit.denied && env.env.SA_DEBUG) {
      env.stderr(exit.stack + "\n");
    }
    return env.signal.aborted && exit.kind === "killed" ? 130 : 1;
  } finally {
    env.signal.removeEventListener("abort", onAbort);
    slot.release();
  }
}

/** `sa run`. */
export const command: CliCommand = {
  name: "run",
  summary: "Run one app in a sandboxed worker against a broker",
  help: HELP,
  run: runApp,
};
