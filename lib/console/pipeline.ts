/**
 * The Pipeline page's data: sa.yaml's deployments and topics as a graph, each edge with its
 * topic's rate and, for an app's input, the lag of the app's consumer group; each app with its
 * `sa up` state, restarts and last log lines.
 *
 * @module
 */
import { join } from "node:path";
import type { ConsoleContext } from "./_context.ts";
import type { Sampler } from "./_sampler.ts";
import { findPipelineFile, loadPipeline } from "../project/pipeline.ts";
import { pipelineGraph as graphOf } from "../project/pipeline_graph.ts";
import { saPaths } from "../runner/project_state.ts";
import { deployments } from "./overview.ts";
import { describeGroup } from "./groups.ts";
import { oneLine } from "./_context.ts";

/** One app node. */
export interface AppNode {
  name: string;
  inputs: string[];
  outputs: string[];
  /** From sa.yaml: "disabled", "stopped" or "". */
  declared: string;
  /** From `sa up`: running, crashed... or null when sa up does not run it. */
  state: string | null;
  restarts: number;
  lastError?: string;
  /** The consumer group, when it is the deployment's name (the sa up default) and exists. */
  group: string | null;
  lastLines: string[];
}

/** One edge: topic → app (input) or app → topic (output). */
export interface Edge {
  from: string;
  to: string;
  topic: string;
  /** Messages per second into the topic. */
  rate: number | null;
  /** For an input edge: the reading group's lag, messages and seconds. */
  lag?: number;
  lagSeconds?: number | null;
}

/** What GET /api/pipeline answers. */
export interface PipelineView {
  file: string | null;
  error?: string;
  apps: AppNode[];
  topics: string[];
  edges: Edge[];
}

async function lastLines(dir: string, app: string, n = 5): Promise<string[]> {
  try {
    const text = await Deno.readTextFile(join(saPaths(dir).logsDir, `${app}.log`));
    return text.trimEnd().split("\n").slice(-n);
  } catch {
    return [];
  }
}

/** Builds the pipeline view; `file: null` when the console has no project. */
export async function pipelineGraph(ctx: ConsoleContext, sampler: Sampler): Promise<PipelineView> {
  const dir = ctx.projectDir;
  const file = dir ? await findPipelineFile(dir) : null;
  if (!dir || !file) return { file: null, apps: [], topics: [], edges: [] };
  let pipeline;
  try {
    pipeline = await loadPipeline(file);
  } catch (err) {
    return { file, error: oneLine(err), apps: [], topics: [], edges: [] };
  }
  const graph = graphOf(pipeline);
  const status = new Map((await deployments(dir)).map((d) => [d.name, d]));
  const groups = new Set(
    (await ctx.run((a) => a.listGroups())).groups.map((g) => g.groupId),
  );
  const topics = new Set<string>(pipeline.topics.map((t) => t.name));
  const apps: AppNode[] = [];
  const edges: Edge[] = [];
  for (const n of graph.nodes) {
    const s = status.get(n.name);
    const group = groups.has(n.name) ? n.name : null;
    const detail = group ? await describeGroup(ctx, group, sampler) : null;
    apps.push({
      name: n.name,
      inputs: n.inputs,
      outputs: n.outputs,
      declared: n.state,
      state: s?.state ?? null,
      restarts: s?.restarts ?? 0,
      lastError: s?.lastError,
      group,
      lastLines: await lastLines(dir, n.name),
    });
    for (const t of n.inputs) {
      topics.add(t);
      const ps = detail?.partitions.filter((p) => p.topic === t) ?? [];
      const secs = ps.map((p) => p.lagSeconds).filter((x): x is number => x !== null);
      edges.push({
        from: t,
        to: n.name,
        topic: t,
        rate: sampler.topicRate(t),
        lag: detail ? ps.reduce((a, p) => a + p.lag, 0) : undefined,
        lagSeconds: detail ? (secs.length ? Math.max(...secs) : null) : undefined,
      });
    }
    for (const t of n.outputs) {
      topics.add(t);
      edges.push({ from: n.name, to: t, topic: t, rate: sampler.topicRate(t) });
    }
  }
  return { file, apps, topics: [...topics].sort(), edges };
}
