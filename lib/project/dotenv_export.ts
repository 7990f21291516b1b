/**
 * `sa vars export`: render a project's `.env` from its apps' declared variables, keeping the
 * values the user already has.
 *
 * `.env` is one flat namespace shared by every app `sa run`/`sa up` starts, while apps often
 * reuse a name (`input`, `output`) with different values. A name whose apps want different
 * values is therefore written commented out (with each app's value) and reported, so `.env`
 * never silently overrides a deployment's value from `sa.yaml`.
 *
 * @module
 */
import { LOCAL_BROKER } from "../templates/project.ts";
import type { ProjectApp } from "./apps.ts";
import { deploymentValue } from "./variables.ts";
import { SECURITY_ENV } from "../stream/kafka/security.ts";

/** Broker settings every `.env` starts with. */
export const BROKER_KEYS = ["SA_BROKER", "Quix__Broker__Address"] as const;

/** The header written at the top of `.env`. */
export const DOT_ENV_HEADER =
  `# Written by \`sa vars export\`. Values you edit here are kept by the next export
# (unless --reset). \`sa run\` gives them to the apps it starts, over the values in
# sa.yaml (process environment variables override both); \`sa up\` uses sa.yaml only.
# Never commit this file.
`;

/** Options for {@link renderDotEnv}. */
export interface RenderDotEnvOptions {
  apps: readonly ProjectApp[];
  /** The current `.env` values. */
  existing: Record<string, string>;
  /** Ignore existing values for the apps' variables (broker settings and untracked keys stay). */
  reset?: boolean;
  /**
   * Connection security values to write when `.env` has none (from the environment of
   * `sa vars export`): secrets such as `SA_SASL_PASSWORD` go to `.env` and nowhere else.
   */
  security?: Record<string, string>;
  /**
   * The connection settings the pipeline's deployments share (`sharedSecurity`): written for
   * the CLI when neither `.env` nor the environment has one.
   */
  pipelineSecurity?: Record<string, string>;
  /**
   * The keys the pipeline's `secretKey`s refer to, with the environment's value when it has
   * one: they get a line in `.env` (the only place their values are written).
   */
  secretKeys?: Record<string, string | undefined>;
}

/** Placeholders written (commented out) for unset security settings. */
const SECURITY_EXAMPLES: Record<string, string> = {
  [SECURITY_ENV.protocol]: "SASL_SSL",
  [SECURITY_ENV.mechanism]: "SCRAM-SHA-256",
  [SECURITY_ENV.username]: "",
  [SECURITY_ENV.password]: "",
  [SECURITY_ENV.ca]: "certs/ca.crt",
  [SECURITY_ENV.cert]: "",
  [SECURITY_ENV.key]: "",
};

/** Renders `.env`; `warnings` lists the conflicting names, one sentence each. */
export function renderDotEnv(opts: RenderDotEnvOptions): { text: string; warnings: string[] } {
  const { apps, existing, reset = false, security = {}, pipelineSecurity = {} } = opts;
  const secretKeys = opts.secretKeys ?? {};
  const warnings: string[] = [];
  const lines: string[] = [DOT_ENV_HEADER, "### sa configuration ###"];
  for (const key of BROKER_KEYS) {
    lines.push(`${key}=${quote(existing[key] ?? LOCAL_BROKER)}`);
  }
  lines.push(
    '# Secured clusters (SASL, TLS): see README "Secured clusters". Secrets live only here.',
  );
  for (const key of Object.values(SECURITY_ENV)) {
    const value = existing[key] || security[key] || pipelineSecurity[key] ||
      (key in secretKeys ? secretKeys[key] ?? "" : undefined);
    lines.push(
      value !== undefined ? `${key}=${quote(value)}` : `# ${key}=${SECURITY_EXAMPLES[key]}`,
    );
  }
  const ownKeys = Object.keys(secretKeys).filter((k) =>
    !(Object.values(SECURITY_ENV) as string[]).includes(k)
  );
  if (ownKeys.length) {
    lines.push("", "### Secrets (secretKey in sa.yaml) ###");
    for (const key of ownKeys) {
      lines.push(`${key}=${quote(existing[key] || secretKeys[key] || "")}`);
    }
  }

  // Wanted value per (variable name, app); a name is "shared" when its apps disagree.
  const wanted = new Map<string, { app: string; value: string }[]>();
  for (const app of apps) {
    for (const v of app.definition.variables) {
      const value = (app.deployment ? deploymentValue(app.deployment, v.name) : undefined) ??
        v.defaultValue ?? "";
      const list = wanted.get(v.name) ?? [];
      list.push({ app: app.name, value });
      wanted.set(v.name, list);
    }
  }
  const written = new Set<string>();
  for (const app of apps) {
    lines.push("", `### ${app.name} (${app.application}) ###`);
    for (const v of app.definition.variables) {
      const notes = [v.inputType, v.required ? "required" : "optional"].join(", ");
      const about = `# ${v.name}: ${notes}${v.description ? `. ${v.description}` : ""}`;
      if (written.has(v.name)) {
        lines.push(`${about} (see above)`);
        continue;
      }
      written.add(v.name);
      const list = wanted.get(v.name)!;
      const distinct = new Set(list.map((w) => w.value));
      const kept = !reset && v.name in existing ? existing[v.name] : undefined;
      lines.push(about);
      if (distinct.size > 1) {
        const each = list.map((w) => `${w.app}=${w.value || '""'}`).join(", ");
        if (kept !== undefined) {
          lines.push(`${v.name}=${quote(kept)}`);
          warnings.push(
            `${v.name} is set in .env to "${kept}" for every app, but the apps want different values (${each}); remove it from .env to use each deployment's value from sa.yaml`,
          );
        } else {
          for (const w of list) lines.push(`# ${v.name}=${quote(w.value)}  (${w.app})`);
          warnings.push(
            `${v.name} differs between apps (${each}); left commented out in .env so each deployment keeps its own value from sa.yaml`,
          );
        }
        continue;
      }
      lines.push(`${v.name}=${quote(kept ?? list[0].value)}`);
    }
  }

  const tracked = new Set<string>([
    ...BROKER_KEYS,
    ...Object.values(SECURITY_ENV),
    ...ownKeys,
    ...written,
  ]);
  const untracked = Object.keys(existing).filter((k) => !tracked.has(k));
  if (untracked.length) {
    lines.push("", "### Untracked variables ###");
    for (const k of untracked) lines.push(`${k}=${quote(existing[k])}`);
  }
  return { text: lines.join("\n") + "\n", warnings };
}

/** Quotes a value when `.env` parsing would otherwise change it. */
export function quote(value: string): string {
  if (/^[^\s#'"`\\]*$/.test(value)) return value;
  if (!value.includes("'") && !value.includes("\n")) return `'${value}'`;
  // dotenv has no escapes inside quotes (only \n in double quotes); backticks cover the rest.
  if (!value.includes("`")) return `\`${value}\``;
  return `"${value.replaceAll("\n", "\\n")}"`;
}
