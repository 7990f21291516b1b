/**
 * The Overview page's data: the broker (address, version, cluster id, nodes, up or down), topic and
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
import { inferKafkaVersion } from "./_broker_info.ts";

/**
 * What the broker is. The embedded broker names itself (its `sa.version` broker config);
 * Kafka reports no version, so for other brokers it is inferred from ApiVersions.
 */
export interface BrokerVersion {
  /** "sa 0.1.0 (embedded broker)" or "Kafka ≥ 2.8". */
  text: string;
  /** True when read off the APIs served, not reported by the broker. */
  inferred: boolean;
  /** How it was found, for a tooltip. */
  detail: string;
}

/** What GET /api/overview answers. */
export interface Overview {
  broker: {
    address: string;
    up: boolean;
    error?: string;
    clusterId: string | null;
    nodes: { nodeId: number; host: string; port: number }[];
    /** null when ApiVersions could not be asked. */
    version: BrokerVersion | null;
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
  const described = ctx.run((admin) => admin.describeCluster());
  const [cluster, topics, groups, deployed, version] = await Promise.all([
    described,
    listTopics(ctx, sampler),
    listGroups(ctx, sampler),
    deployments(ctx.projectDir),
    described.then((c) => brokerVersion(ctx, c.brokers[0]?.nodeId)),
  ]);
  return {
    broker: {
      address: ctx.address,
      up: ctx.broker.up,
      error: ctx.broker.error,
      clusterId: cluster.clusterId ?? null,
      nodes: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      version,
    },
    readOnly: ctx.readOnly,
    topics: topics.length,
    messages: topics.reduce((n, t) => n + t.messages, 0),
    rates: sampler.history,
    groups,
    deployments: deployed,
  };
}

/** The embedded broker's `sa.version` config, cached a minute; null on any other broker. */
const saVersions = new WeakMap<ConsoleContext, { at: number; version: string | null }>();
async function saVersion(ctx: ConsoleContext, nodeId: number): Promise<string | null> {
  const hit = saVersions.get(ctx);
  if (hit && Date.now() - hit.at < 60_000) return hit.version;
  let version: string | null = null;
  try {
    const res = await ctx.run((admin) =>
      admin.describeConfigs({
        resources: [{ type: 4, name: String(nodeId), configNames: ["sa.version"] }],
        includeSynonyms: false,
      })
    );
    const entry = res.resources[0]?.configEntries.find((e) => e.configName === "sa.version");
    version = entry?.configValue ?? null;
  } catch {
    // A broker that refuses broker configs is not ours.
  }
  saVersions.set(ctx, { at: Date.now(), version });
  return version;
}

/** The broker's version, reported (embedded) or inferred (any other); null if unreachable. */
export async function brokerVersion(
  ctx: ConsoleContext,
  nodeId = 0,
): Promise<BrokerVersion | null> {
  let apis;
  try {
    apis = await ctx.info.apiVersions();
  } catch {
    return null;
  }
  const { version, because } = inferKafkaVersion(apis);
  const sa = await saVersion(ctx, nodeId);
  if (sa) {
    return {
      text: `sa ${sa} (embedded broker)`,
      inferred: false,
      detail:
        `reported by the broker (its sa.version config); it serves the Kafka \u2265 ${version} ` +
        `APIs it lists, the newest being ${because}`,
    };
  }
  return {
    text: `Kafka \u2265 ${version}`,
    inferred: true,
    detail: `inferred from ApiVersions: the newest API the broker serves is ${because}; ` +
      "Kafka does not report its version",
  };
}
