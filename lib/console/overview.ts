/**
 * The Overview page's data: the broker (address, cluster id, nodes, up or down), topic and
 * message counts, messages in/out per second with their recent history, groups with their
 * status, and the `sa up` deployments when the console knows the project.
 *
 * @module
 */
import type { ConsoleContext } from "./_context.ts";
import type { RatePoint, Sampler } from "./_sampler.ts";
import { type GroupSummary, listGroups } from "./groups.ts";
import { listTopics } from "./topics.ts";
import { readStatus, saPaths } from "../runner/project_state.ts";
import type { DeploymentStatus } from "../runner/supervisor.ts";

/** What GET /api/overview answers. */
export interface Overview {
  broker: {
    address: string;
    up: boolean;
    error?: string;
    clusterId: string | null;
    nodes: { nodeId: number; host: string; port: number }[];
  };
  readOnly: boolean;
  topics: number;
  messages: number;
  rates: RatePoint[];
  groups: GroupSummary[];
  deployments: DeploymentStatus[];
}

/** Deployments of the running `sa up` in `dir`, if any. */
export async function deployments(dir: string | undefined): Promise<DeploymentStatus[]> {
  if (!dir) return [];
  try {
    return (await readStatus(saPaths(dir)))?.deployments ?? [];
  } catch {
    return [];
  }
}

/** Collects the overview. */
export async function overview(ctx: ConsoleContext, sampler: Sampler): Promise<Overview> {
  const [cluster, topics, groups, deployed] = await Promise.all([
    ctx.run((admin) => admin.describeCluster()),
    listTopics(ctx, sampler),
    listGroups(ctx, sampler),
    deployments(ctx.projectDir),
  ]);
  return {
    broker: {
      address: ctx.address,
      up: ctx.broker.up,
      error: ctx.broker.error,
      clusterId: cluster.clusterId ?? null,
      nodes: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
    },
    readOnly: ctx.readOnly,
    topics: topics.length,
    messages: topics.reduce((n, t) => n + t.messages, 0),
    rates: sampler.history,
    groups,
    deployments: deployed,
  };
}
