/**
 * What `sa up` runs, decided before anything starts: the pipeline file, the topics and their
 * local configs, the deployments (replicas expanded), and the checks that refuse what a
 * restart could not fix (a missing module, another `sa up` on the same project).
 *
 * @module
 */
import { basename, relative } from "node:path";
import { CliError } from "./_command.ts";
import {
  type Deployment,
  type Pipeline,
  resolveAppEntry,
  type TopicDecl,
} from "../project/pipeline.ts";
import { openProject } from "./_project.ts";
import type { NewTopic } from "../runner/broker_check.ts";
import { isAlive, readPid, type SaPaths } from "../runner/project_state.ts";

/** The project's pipeline file; `sa up` needs one. */
export async function openPipeline(cwd: string): Promise<Pipeline> {
  const { pipeline } = await openProject(cwd);
  if (!pipeline) {
    throw new CliError(
      `no sa.yaml (or quix.yaml) in ${cwd}; create one with \`sa init\` and \`sa pipeline update\``,
    );
  }
  return pipeline;
}

/**
 * Topic configs for a local run from a pipeline topic declaration. Time retention is off:
 * the course's recording and the windows computed from it carry event times from 2024, which
 * any `retentionInMinutes` would delete at once; `retentionInBytes` still bounds the disk.
 * (`sa compose` keeps the declared retention, as the cloud does.)
 */
export function topicConfigs(t: TopicDecl): Record<string, string> {
  const c: Record<string, string> = { "cleanup.policy": t.cleanupPolicy };
  if (t.cleanupPolicy === "delete") c["retention.ms"] = "-1";
  if (t.retentionBytes !== undefined) c["retention.bytes"] = String(t.retentionBytes);
  return c;
}

export function newTopic(t: TopicDecl): NewTopic {
  return {
    name: t.name,
    partitions: t.partitions,
    replicationFactor: t.replicationFactor,
    configs: topicConfigs(t),
  };
}

/** Deployments `sa up` runs: enabled, desired Running; replicas become `name#2`, ... */
export function runnableDeployments(p: Pipeline): Array<{ name: string; d: Deployment }> {
  const out: Array<{ name: string; d: Deployment }> = [];
  for (const d of p.deployments) {
    if (d.disabled || d.desiredStatus !== "Running") continue;
    const n = Math.max(1, d.replicas);
    for (let i = 1; i <= n; i++) out.push({ name: n > 1 ? `${d.name}#${i}` : d.name, d });
  }
  return out;
}

export async function ensureNotRunning(paths: SaPaths): Promise<void> {
  const pid = await readPid(paths);
  if (pid === null) return;
  if (pid !== Deno.pid && isAlive(pid)) {
    throw new CliError(
      `sa up is already running for this project (pid ${pid}); stop it with \`sa down\``,
    );
  }
  await Deno.remove(paths.pidFile).catch(() => {});
}

/**
 * Refuses a deployment whose module does not exist before anything starts, at the line of
 * its `application:` (a restart could not fix it).
 */
export function checkModules(pipeline: Pipeline): void {
  const problems: string[] = [];
  for (const { d } of runnableDeployments(pipeline)) {
    const entry = resolveAppEntry(pipeline, d);
    let ok = false;
    try {
      ok = Deno.statSync(entry).isFile;
    } catch { /* missing */ }
    if (!ok && !problems.some((p) => p.includes(`deployment "${d.name}"`))) {
      problems.push(
        `${d.applicationAt ?? basename(pipeline.file)}: deployment "${d.name}": application ` +
          `"${d.application}" not found (${relative(pipeline.dir, entry)} does not exist)`,
      );
    }
  }
  if (problems.length) throw new CliError(problems.join("\n"));
}
