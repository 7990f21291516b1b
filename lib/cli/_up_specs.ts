/**
 * How `sa up` runs one deployment: its sandbox grant (the broker, its `allowNet`, its state
 * folder, the TLS files and the project files its variables name) and, once its app has said
 * which variables it declares, their values (from `sa.yaml`, else the app's defaults) and
 * runtime environment. Problems a restart cannot fix are {@link ConfigError}s.
 *
 * @module
 */
import { basename, join, relative } from "node:path";
import { type Deployment, type Pipeline, resolveAppEntry } from "../project/pipeline.ts";
import { checkDeploymentVariables, resolveVariables } from "../project/variables.ts";
import { deploymentLoopProblem } from "../project/topic_loop.ts";
import {
  appRuntimeEnv,
  deploymentHttpPort,
  projectFileReads,
  sandboxGrant,
  securityFiles,
} from "../runner/permissions.ts";
import { ConfigError, type DeploymentSpec } from "../runner/supervisor.ts";
import { instanceHome } from "../runner/instance_id.ts";

/** What the specs of one `sa up` share. */
export interface UpSpecContext {
  pipeline: Pipeline;
  /** `.sa/state`: each deployment writes `<stateDir>/<deployment>`. */
  stateDir: string;
  /** The broker address the apps connect to. */
  address: string;
  /**
   * A deployment's connection security settings (`SA_SECURITY_PROTOCOL`, ...) for its app's
   * environment; throws a {@link ConfigError} when one cannot be had (a secret not set).
   */
  securityFor(d: Deployment): Record<string, string>;
  /** Reads a deployment variable's `secretKey` (the environment, then `.env`). */
  secrets(key: string): string | undefined;
  /** A problem worth a warning (said once per start; the caller dedupes for status). */
  warn(problem: string): void;
}

/** The spec of one runnable deployment (`name` is `d.name`, or `d.name#2` for replicas). */
export function deploymentSpec(
  ctx: UpSpecContext,
  { name, d }: { name: string; d: Deployment },
): DeploymentSpec {
  const { pipeline, address } = ctx;
  const entry = resolveAppEntry(pipeline, d);
  // A problem here fails this deployment at its start (reported once), not the whole sa up.
  let securityVars: Record<string, string> = {};
  let securityError: unknown;
  try {
    securityVars = ctx.securityFor(d);
  } catch (err) {
    securityError = err;
  }
  const stateDir = join(ctx.stateDir, d.name);
  Deno.mkdirSync(stateDir, { recursive: true });
  return {
    name,
    entry,
    displayDir: pipeline.dir,
    grant: sandboxGrant({
      entry,
      brokers: [address],
      allowNet: d.allowNet,
      variableNames: d.variables.map((v) => v.name),
      stateDir,
      extraRead: [
        ...securityFiles(securityVars),
        ...projectFileReads(
          pipeline.dir,
          Object.fromEntries(d.variables.map((v) => [v.name, v.value ?? ""])),
        ),
      ],
      httpPort: deploymentHttpPort(d.variables),
    }),
    resolve(declared) {
      if (securityError) throw securityError;
      for (const problem of checkDeploymentVariables(d, declared.variables)) ctx.warn(problem);
      const r = resolveVariables({
        declared: declared.variables,
        deployment: d,
        dotenv: {},
        processEnv: {},
        secrets: ctx.secrets,
      });
      if (r.missing.length) {
        throw new ConfigError(
          `required variable${r.missing.length > 1 ? "s" : ""} ${
            r.missing.map((v) => `"${v.name}"`).join(", ")
          } ha${r.missing.length > 1 ? "ve" : "s"} no value: set ${
            r.missing.length > 1 ? "them" : "it"
          } under deployment "${d.name}" variables in ${basename(pipeline.file)}`,
        );
      }
      const loop = deploymentLoopProblem(d, declared.variables, r, relative(pipeline.dir, entry));
      if (loop) throw new ConfigError(loop);
      return {
        vars: r.values,
        // The replica's name and home (`normalize#2@host/1a2b3c4d`) is its static member id:
        // a restarted replica takes its partitions back at once.
        env: appRuntimeEnv(
          address,
          stateDir,
          securityVars,
          pipeline.dir,
          `${name}@${instanceHome(ctx.stateDir)}`,
        ),
        read: projectFileReads(pipeline.dir, r.values),
      };
    },
  };
}
