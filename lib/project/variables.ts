/**
 * Variable resolution: which value an app variable gets, and from where.
 *
 * Precedence, highest first: the process environment, the app's own `.env.<name>`, `.env`,
 * the pipeline deployment's `value` (or its `secretKey`'s value), the app's `defaultValue`. An empty string counts as "not set" for every source
 * except the process environment, so `.env` lines left blank fall through to the pipeline.
 *
 * @module
 */
import type { AppVariable } from "../stream/define_app.ts";
import type { Deployment } from "./pipeline.ts";
import { isSecurityVariable } from "./connection.ts";

/**
 * Where a resolved value came from; `secretKey` is a deployment's `secretKey` reference, read
 * from the environment or `.env` under that key.
 */
export type VariableSource =
  | "env"
  | ".env"
  | `.env.${string}`
  | "pipeline"
  | "secretKey"
  | "default";

/** The outcome of {@link resolveVariables}. */
export interface ResolvedVariables {
  /** Value per declared variable that has one. */
  values: Record<string, string>;
  /** Required variables that got no (or an empty) value. */
  missing: AppVariable[];
  /** Where each value in `values` came from. */
  sources: Record<string, VariableSource>;
}

/** Options for {@link resolveVariables}. */
export interface ResolveVariablesOptions {
  declared: readonly AppVariable[];
  deployment?: Deployment;
  dotenv: Record<string, string>;
  /** The app's own `.env.<name>` values, over `.env`. */
  appDotenv?: { file: string; values: Record<string, string> };
  processEnv: Record<string, string>;
  /** Reads a deployment variable's `secretKey` (the environment, then `.env`). */
  secrets?: (key: string) => string | undefined;
}

/** Resolves each declared variable: process env > .env.<app> > .env > pipeline > app default. */
export function resolveVariables(opts: ResolveVariablesOptions): ResolvedVariables {
  const values: Record<string, string> = {};
  const sources: Record<string, VariableSource> = {};
  const missing: AppVariable[] = [];
  for (const v of opts.declared) {
    const key = opts.deployment ? deploymentSecretKey(opts.deployment, v.name) : undefined;
    const pipelineValue = key !== undefined
      ? opts.secrets?.(key)
      : opts.deployment
      ? deploymentValue(opts.deployment, v.name)
      : undefined;
    let value: string | undefined;
    let source: VariableSource | undefined;
    if (opts.processEnv[v.name] !== undefined) {
      value = opts.processEnv[v.name];
      source = "env";
    } else if (opts.appDotenv && nonEmpty(opts.appDotenv.values[v.name])) {
      value = opts.appDotenv.values[v.name];
      source = opts.appDotenv.file as `.env.${string}`;
    } else if (nonEmpty(opts.dotenv[v.name])) {
      value = opts.dotenv[v.name];
      source = ".env";
    } else if (nonEmpty(pipelineValue)) {
      value = pipelineValue;
      source = key !== undefined ? "secretKey" : "pipeline";
    } else if (nonEmpty(v.defaultValue)) {
      value = v.defaultValue;
      source = "default";
    }
    if (value !== undefined && source !== undefined) {
      values[v.name] = value;
      sources[v.name] = source;
    }
    if (v.required && !nonEmpty(value)) missing.push(v);
  }
  return { values, missing, sources };
}

/** A deployment's value for a variable; names match exactly, else case-insensitively (as Quix). */
export function deploymentValue(d: Deployment, name: string): string | undefined {
  const exact = d.variables.find((pv) => pv.name === name);
  if (exact) return exact.value;
  const lower = name.toLowerCase();
  return d.variables.find((pv) => pv.name.toLowerCase() === lower)?.value;
}

/** The `secretKey` a deployment gives a variable (names match as in {@link deploymentValue}). */
export function deploymentSecretKey(d: Deployment, name: string): string | undefined {
  const lower = name.toLowerCase();
  const v = d.variables.find((pv) => pv.name === name) ??
    d.variables.find((pv) => pv.name.toLowerCase() === lower);
  return v?.secretKey;
}

/**
 * Problems between a deployment and the app it runs: variables the deployment sets that the
 * app does not declare, and input types that disagree. Each entry is one sentence that ends
 * with how to fix it.
 */
export function checkDeploymentVariables(
  d: Deployment,
  declared: readonly AppVariable[],
): string[] {
  const problems: string[] = [];
  const byName = new Map(declared.map((v) => [v.name.toLowerCase(), v]));
  for (const pv of d.variables) {
    // Connection settings (SA_SECURITY_PROTOCOL, ...) are for the runtime, not the app.
    if (isSecurityVariable(pv.name)) continue;
    const app = byName.get(pv.name.toLowerCase());
    if (!app) {
      const known = declared.map((v) => v.name).join(", ") || "none";
      problems.push(
        `deployment "${d.name}": variable "${pv.name}" is not declared by its app (declared: ${known}); ` +
          "remove it from the pipeline file or run `sa pipeline update --prune`",
      );
    } else if (pv.inputType && pv.inputType !== app.inputType) {
      problems.push(
        `deployment "${d.name}": variable "${pv.name}" is ${pv.inputType} in the pipeline but ${app.inputType} in its app; ` +
          "run `sa pipeline update` to take the app's type",
      );
    }
  }
  return problems;
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v !== "";
}
