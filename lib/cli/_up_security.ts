/**
 * Connection security under `sa up`. With `--broker`, each app gets its deployment's settings
 * from `sa.yaml` (secrets by `secretKey`, from the environment or `.env`) under the
 * environment's, and `sa up`'s own connections (topics, console) use the environment's, else
 * those the deployments share. The embedded broker is plaintext on loopback: there the
 * settings do not apply, and `sa up` says so once.
 *
 * @module
 */
import { CliError } from "./_command.ts";
import { pickSecurityEnv } from "./_kafka.ts";
import type { Deployment, Pipeline } from "../project/pipeline.ts";
import { deploymentSecurity, isSecurityVariable, sharedSecurity } from "../project/connection.ts";
import { ConfigError } from "../runner/supervisor.ts";

/** The settings `sa up` connects with. */
export interface UpSecurity {
  /** For `sa up`'s own connections: broker check, topics, console. */
  own: Record<string, string>;
  /** For one deployment's app; a missing secret is a {@link ConfigError}. */
  forDeployment(d: Deployment): Record<string, string>;
}

/** Options of {@link upSecurity}. */
export interface UpSecurityOptions {
  pipeline: Pipeline;
  deployments: readonly Deployment[];
  /** `--broker` was given. */
  external: boolean;
  processEnv: Readonly<Record<string, string>>;
  /** The project's `.env` (secrets by `secretKey` only). */
  dotenv: Record<string, string>;
  say(text: string): void;
}

/** Works out the settings; a secret the deployments refer to but nobody set is a CliError. */
export function upSecurity(opts: UpSecurityOptions): UpSecurity {
  const { pipeline, deployments } = opts;
  if (!opts.external) {
    const names = new Set(
      deployments.flatMap((d) => d.variables.map((v) => v.name).filter(isSecurityVariable)),
    );
    if (names.size) {
      opts.say(
        `note: the connection settings in ${pipeline.file.replace(/^.*[\\/]/, "")} ` +
          `(${[...names].join(", ")}) apply with --broker; the embedded broker is plaintext ` +
          `on loopback`,
      );
    }
    return { own: {}, forDeployment: () => ({}) };
  }
  const secrets = (key: string) => opts.processEnv[key] || opts.dotenv[key] || undefined;
  const fromEnv = pickSecurityEnv(opts.processEnv, {}, pipeline.dir);
  const missing = deployments.flatMap((d) =>
    deploymentSecurity(d, secrets, pipeline.dir).missing.map((m) => `deployment "${d.name}": ${m}`)
  );
  if (missing.length) {
    throw new CliError(
      `secret${missing.length > 1 ? "s" : ""} not set: ${missing.join("; ")}; ` +
        `set ${missing.length > 1 ? "them" : "it"} in .env or the environment`,
    );
  }
  let own = fromEnv;
  if (Object.keys(fromEnv).length === 0) {
    const shared = sharedSecurity(deployments);
    own = deploymentSecurity(
      { variables: sharedVariables(deployments, shared.values) },
      secrets,
      pipeline.dir,
    ).values;
    if (shared.conflicts.length) {
      opts.say(
        `note: deployments set ${shared.conflicts.join(", ")} differently; sa up's own ` +
          `connections (topics, console) go without them: set them in the environment to choose`,
      );
    }
  }
  return {
    own,
    forDeployment(d) {
      const r = deploymentSecurity(d, secrets, pipeline.dir);
      if (r.missing.length) {
        throw new ConfigError(
          `secret not set: ${r.missing.join(", ")}; set it in .env or the environment`,
        );
      }
      return { ...r.values, ...fromEnv };
    },
  };
}

/** The shared plain settings, plus the password when every deployment refers to the same key. */
function sharedVariables(
  deployments: readonly Deployment[],
  values: Record<string, string>,
): Deployment["variables"] {
  const vars: Deployment["variables"] = Object.entries(values).map(([name, value]) => ({
    name,
    value,
  }));
  const keys = new Map<string, Set<string>>();
  for (const d of deployments) {
    for (const v of d.variables) {
      if (!isSecurityVariable(v.name) || v.secretKey === undefined) continue;
      const set = keys.get(v.name) ?? new Set();
      set.add(v.secretKey);
      keys.set(v.name, set);
    }
  }
  for (const [name, set] of keys) {
    if (set.size === 1) vars.push({ name, secretKey: [...set][0] });
  }
  return vars;
}
