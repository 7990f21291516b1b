/**
 * `sa compose`: a docker-compose file for the pipeline, for running it in containers the way
 * Quix's `compose.local.yaml` does: a Redpanda broker (`kafka-broker:9092` inside,
 * `localhost:19092` outside), Redpanda Console on 8080, a one-shot service creating the
 * declared topics, and one service per deployment built from a generated Dockerfile on the
 * official Deno image, running `sa run <app>`.
 *
 * The toolkit is not published, so containers mount it read-only at `/sa`: from `SA_TOOLKIT`
 * when compose runs, else by its path relative to `compose/` (`--toolkit` sets that folder).
 *
 * @module
 */
import { stringify } from "yaml";
import { dirname, posix, relative } from "node:path";
import type { Deployment, Pipeline, TopicDecl } from "./pipeline.ts";
import { resolveAppEntry } from "./pipeline.ts";
import type { ProjectApp } from "./apps.ts";
import { resolveVariables } from "./variables.ts";
import { isSecurityVariable } from "./connection.ts";
import { SECURITY_ENV } from "../stream/kafka/security.ts";
import {
  allowedServices,
  externalServices,
  listenPorts,
  serviceVolumes,
} from "./compose_services.ts";

/** Folder (relative to the project) the compose file and Dockerfiles are written to. */
export const COMPOSE_DIR = "compose";
/** Redpanda image for the broker. */
export const REDPANDA_IMAGE = "docker.redpanda.com/redpandadata/redpanda:v24.2.7";
/** Redpanda Console image. */
export const CONSOLE_IMAGE = "docker.redpanda.com/redpandadata/console:v2.7.2";
/** Broker address inside the compose network. */
export const INTERNAL_BROKER = "kafka-broker:9092";

/** What images never need: local secrets, runtime state, generated files. */
export const DOCKERIGNORE = ".env\n.sa/\ndist/\ncompose/\n.git/\n";

/** Options for {@link generateCompose}. */
export interface ComposeOptions {
  pipeline: Pipeline;
  /** The pipeline's apps, for declared defaults (deployments without one are still listed). */
  apps: readonly ProjectApp[];
  /** Absolute path of the toolkit folder (holding cli.ts, mod.ts, deno.json) to mount at /sa. */
  toolkitDir: string;
  /** Deno image tag, e.g. "2.1.4". */
  denoVersion: string;
}

/** Generated files, by path relative to the project. */
export type ComposeFiles = Record<string, string>;

/** Builds `compose/docker-compose.yml` and one `compose/<deployment>.Dockerfile` each. */
export function generateCompose(opts: ComposeOptions): ComposeFiles {
  const { pipeline } = opts;
  const files: ComposeFiles = {};
  const composeDir = posix.join(pipeline.dir, COMPOSE_DIR);
  // Relative to compose/ (portable with the checkout, no path of this machine), and
  // configurable when compose runs: SA_TOOLKIT=/path/to/sa docker compose up.
  const toolkit = `\${SA_TOOLKIT:-${toPosix(relative(composeDir, opts.toolkitDir)) || "."}}`;
  const services: Record<string, unknown> = {
    "kafka-broker": {
      image: REDPANDA_IMAGE,
      command: [
        "redpanda",
        "start",
        "--kafka-addr",
        "internal://0.0.0.0:9092,external://0.0.0.0:19092",
        "--advertise-kafka-addr",
        `internal://${INTERNAL_BROKER},external://localhost:19092`,
        "--smp",
        "1",
        "--memory",
        "1G",
        "--mode",
        "dev-container",
        "--default-log-level=warn",
      ],
      ports: ["19092:19092"],
      healthcheck: {
        test: ["CMD-SHELL", "rpk cluster health | grep -E 'Healthy:.+true' || exit 1"],
        interval: "2s",
        timeout: "5s",
        retries: 30,
      },
    },
    console: {
      image: CONSOLE_IMAGE,
      environment: { KAFKA_BROKERS: INTERNAL_BROKER },
      ports: ["8080:8080"],
      depends_on: { "kafka-broker": { condition: "service_healthy" } },
    },
  };
  if (pipeline.topics.length) {
    services["create-topics"] = {
      image: REDPANDA_IMAGE,
      entrypoint: ["/bin/bash", "-c"],
      command: [pipeline.topics.map(rpkCreate).join(" && ")],
      depends_on: { "kafka-broker": { condition: "service_healthy" } },
      restart: "no",
    };
  }
  const byName = new Map(opts.apps.map((a) => [a.name, a]));
  // The build context holds the project and every app it runs (a sample pipeline may run
  // apps from elsewhere in the checkout, e.g. ../../apps/gateway.ts).
  const active = pipeline.deployments.filter((d) => !d.disabled);
  const root = commonAncestor([
    pipeline.dir,
    ...active.map((d) => dirname(resolveAppEntry(pipeline, d))),
  ]);
  const sub = toPosix(relative(root, pipeline.dir));
  const context = toPosix(relative(composeDir, root)) || ".";
  const extra: Record<string, Record<string, unknown>> = {};
  for (const d of pipeline.deployments) {
    if (d.disabled) continue;
    const service = serviceName(d.name);
    if (service in services) {
      throw new Error(
        `deployment "${d.name}": its compose service name "${service}" is already taken; rename the deployment`,
      );
    }
    const entry = toPosix(relative(pipeline.dir, resolveAppEntry(pipeline, d)));
    // Connection settings are not app variables: the stack's Redpanda is plaintext, so they
    // pass only by reference from the environment (below), never from sa.yaml.
    const declared = byName.get(d.name)?.definition.variables ??
      d.variables.filter((v) => !isSecurityVariable(v.name)).map((v) => ({
        name: v.name,
        inputType: v.inputType ?? "FreeText" as const,
      }));
    const resolved = resolveVariables({ declared, deployment: d, dotenv: {}, processEnv: {} });
    const { values, services: viaValues } = externalServices(resolved.values);
    const needs = { ...viaValues, ...allowedServices(d.allowNet) };
    Object.assign(extra, needs);
    const environment: Record<string, string> = {
      SA_BROKER: INTERNAL_BROKER,
      Quix__Broker__Address: INTERNAL_BROKER,
      // Connection security passes through from the shell or `--env-file .env`, by reference:
      // secrets are never written into this file. Unset (the local Redpanda): plaintext.
      ...Object.fromEntries(Object.values(SECURITY_ENV).map((k) => [k, `\${${k}:-}`])),
      ...values,
      // A `secretKey` (Quix's secret reference) is passed as a reference to that key.
      ...secretReferences(d),
    };
    const dockerfile = `${d.name}.Dockerfile`;
    const dependsOn: Record<string, { condition: string }> = {
      "kafka-broker": { condition: "service_healthy" },
    };
    if (pipeline.topics.length) {
      dependsOn["create-topics"] = { condition: "service_completed_successfully" };
    }
    for (const name of Object.keys(needs)) dependsOn[name] = { condition: "service_started" };
    const ports = listenPorts(d.allowNet);
    const workdir = sub ? `/app/${sub}` : "/app";
    services[service] = {
      build: { context, dockerfile: posix.join(sub, COMPOSE_DIR, dockerfile) },
      environment,
      ...(ports.length ? { ports } : {}),
      // The local .env is for running outside Docker; mask it as Quix does.
      volumes: [`${toolkit}:/sa:ro`, `/dev/null:${workdir}/.env`],
      depends_on: dependsOn,
      // A Job, or a replay that ends (loop=false), must not start over when it is done.
      restart: d.deploymentType === "Job" || endsOnItsOwn(values) ? "no" : "unless-stopped",
      deploy: { replicas: d.desiredStatus === "Stopped" ? 0 : d.replicas },
    };
    files[`${COMPOSE_DIR}/${dockerfile}`] = dockerfileText(d.name, entry, opts.denoVersion, sub);
    // BuildKit reads <Dockerfile>.dockerignore: keep local state and secrets out of images.
    files[`${COMPOSE_DIR}/${dockerfile}.dockerignore`] = sub
      ? DOCKERIGNORE + DOCKERIGNORE.split("\n").filter(Boolean).map((l) =>
        `${sub}/${l}`
      ).join("\n") +
        "\n"
      : DOCKERIGNORE;
  }
  const header = `# Generated by \`sa compose\` from ${
    posix.basename(pipeline.file)
  }; re-run it after changes.
# Broker: kafka-broker:9092 inside, localhost:19092 outside. Console: http://localhost:8080
# Start: docker compose -f compose/docker-compose.yml up --build   (docker-compose with v1;
# or: sa up --docker). The toolkit is mounted from SA_TOOLKIT, else its path relative to here.
`;
  Object.assign(services, extra);
  const volumes = serviceVolumes(extra);
  files[`${COMPOSE_DIR}/docker-compose.yml`] = header +
    // YAML 1.1 output: docker-compose (PyYAML) reads `no`/`on` unquoted as booleans.
    stringify(Object.keys(volumes).length ? { services, volumes } : { services }, {
      lineWidth: 0,
      version: "1.1",
    });
  return files;
}

/** The Dockerfile of one deployment: the project on the Deno image, running `sa run`. */
export function dockerfileText(
  deployment: string,
  entry: string,
  denoVersion: string,
  projectDir = "",
): string {
  const workdir = projectDir ? `\nWORKDIR /app/${projectDir}` : "";
  return `# Generated by \`sa compose\` for deployment "${deployment}".
FROM denoland/deno:${denoVersion}
WORKDIR /app
COPY . .${workdir}
# The sa toolkit is mounted at /sa by docker-compose.yml; its deno.json maps @sa/toolkit.
ENTRYPOINT ["deno", "run", "--allow-all", "--unstable-worker-options", "--config", "/sa/deno.json", "/sa/cli.ts", "run", ${
    JSON.stringify(entry)
  }]
`;
}

/** `NAME: ${KEY:-}` for each variable the deployment takes from a `secretKey`. */
function secretReferences(d: Deployment): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of d.variables) {
    // Compose interpolates only identifier-like names; others stay unset in the container.
    if (v.secretKey && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v.secretKey)) {
      out[v.name] = `\${${v.secretKey}:-}`;
    }
  }
  return out;
}

/** A deployment whose `loop` variable is false finishes by design (the replay app). */
function endsOnItsOwn(values: Record<string, string>): boolean {
  const loop = values.loop?.trim().toLowerCase();
  return loop !== undefined && ["false", "0", "no", "off"].includes(loop);
}

/** A compose service name: lowercase letters, digits, `-` and `_`. */
export function serviceName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "app";
}

function rpkCreate(t: TopicDecl): string {
  const configs = [`cleanup.policy=${t.cleanupPolicy}`];
  if (t.retentionMs !== undefined) configs.push(`retention.ms=${t.retentionMs}`);
  if (t.retentionBytes !== undefined) configs.push(`retention.bytes=${t.retentionBytes}`);
  const c = configs.map((x) => `-c ${x}`).join(" ");
  // An existing topic is fine on a restart: rpk exits 1 with TOPIC_ALREADY_EXISTS.
  return `(rpk topic create ${t.name} -X brokers=${INTERNAL_BROKER} -p ${t.partitions} -r ${t.replicationFactor} ${c} || true)`;
}

/** The deepest folder containing every one of `dirs` (absolute paths). */
function commonAncestor(dirs: string[]): string {
  let common = dirs[0];
  for (const d of dirs.slice(1)) {
    while (relative(common, d).startsWith("..") && dirname(common) !== common) {
      common = dirname(common);
    }
  }
  return common;
}

function toPosix(p: string): string {
  return p.replaceAll("\\", "/");
}
