/**
 * Connection security in the pipeline file. A deployment carries the settings as variables
 * named like the environment (`SA_SECURITY_PROTOCOL`, `SA_SASL_MECHANISM`, `SA_SASL_USERNAME`,
 * `SA_SSL_CA_LOCATION`, ...), in Quix's quix.yaml v1 schema; the password only by reference,
 * as Quix writes secrets: `inputType: Secret` with `secretKey: NAME`, whose value comes from
 * the environment or `.env` (see `pipeline.ts`, which refuses a secret's `value:`).
 *
 * They apply where an app connects to a cluster it did not start: `sa run` and
 * `sa up --broker`. The embedded broker of `sa up` and the Redpanda of `sa compose` are
 * plaintext, so there they are not used.
 *
 * @module
 */
import { resolve } from "node:path";
import { SECURITY_ENV } from "../stream/kafka/security.ts";
import type { Deployment, Pipeline } from "./pipeline.ts";

const NAMES: readonly string[] = Object.values(SECURITY_ENV);

/** Whether a deployment variable is a connection setting rather than an app variable. */
export function isSecurityVariable(name: string): boolean {
  return NAMES.includes(name);
}

/** A deployment's connection settings, secrets resolved. */
export interface DeploymentSecurity {
  /** Setting name → value; relative `*_LOCATION` paths made absolute against the project. */
  values: Record<string, string>;
  /** Secrets whose `secretKey` has no value, each as `SA_SASL_PASSWORD (secretKey K, sa.yaml:9:20)`. */
  missing: string[];
}

/**
 * The connection settings `d` sets in the pipeline file. `lookup` reads a secret's key (the
 * environment, then `.env`); `dir` is the project folder.
 */
export function deploymentSecurity(
  d: Pick<Deployment, "variables">,
  lookup: (key: string) => string | undefined,
  dir: string,
): DeploymentSecurity {
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const v of d.variables) {
    if (!isSecurityVariable(v.name)) continue;
    let value = v.value;
    if (v.secretKey !== undefined) {
      value = lookup(v.secretKey) || undefined;
      if (value === undefined) {
        missing.push(
          `${v.name} (secretKey ${v.secretKey}${v.secretKeyAt ? `, ${v.secretKeyAt}` : ""})`,
        );
        continue;
      }
    }
    if (!value) continue;
    values[v.name] = v.name.endsWith("_LOCATION") ? resolve(dir, value) : value;
  }
  return { values, missing };
}

/** The secret keys the pipeline's deployments refer to, in order, each once. */
export function secretKeys(pipeline: Pipeline | null): string[] {
  const keys = new Set<string>();
  for (const d of pipeline?.deployments ?? []) {
    for (const v of d.variables) if (v.secretKey) keys.add(v.secretKey);
  }
  return [...keys];
}

/**
 * The non-secret connection settings the deployments agree on (a setting two deployments
 * give different values is left out): what `sa vars export` offers the CLI in `.env`, and
 * what `sa up --broker` uses for its own connections when the environment sets none.
 */
export function sharedSecurity(
  deployments: readonly Deployment[],
): { values: Record<string, string>; conflicts: string[] } {
  const seen = new Map<string, Set<string>>();
  for (const d of deployments) {
    for (const v of d.variables) {
      if (!isSecurityVariable(v.name) || v.secretKey !== undefined || !v.value) continue;
      const set = seen.get(v.name) ?? new Set();
      set.add(v.value);
      seen.set(v.name, set);
    }
  }
  const values: Record<string, string> = {};
  const conflicts: string[] = [];
  for (const [name, set] of seen) {
    if (set.size === 1) values[name] = [...set][0];
    else conflicts.push(name);
  }
  return { values, conflicts };
}
