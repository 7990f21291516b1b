/**
 * Topics for the console: list (partitions, messages, cleanup policy, retention, in-rate),
 * describe (per-partition offsets and every config), create and delete.
 *
 * @module
 */
import { ApiError, type ConsoleContext } from "./_context.ts";
import type { Sampler } from "./_sampler.ts";

/** One row of the topic list. */
export interface TopicSummary {
  name: string;
  partitions: number;
  /** End minus start offsets, summed over partitions. */
  messages: number;
  cleanupPolicy: string | null;
  retentionMs: number | null;
  /** Messages written per second, from the console's sampler (null before two samples). */
  inRate: number | null;
  /** Messages consumed per second (committed offsets' advance, all groups); null likewise. */
  outRate: number | null;
  /**
   * Bytes of the topic's log segments on disk, every replica counted (DescribeLogDirs);
   * null when the broker does not report them.
   */
  bytesOnDisk: number | null;
}

/** A topic in detail. */
export interface TopicDetail extends TopicSummary {
  partitionOffsets: { partition: number; leader: number; low: number; high: number }[];
  configs: { name: string; value: string | null }[];
}

/** Kafka's topic name rule. */
export function checkTopicName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(name) || name === "." || name === "..") {
    throw new ApiError(
      400,
      `invalid topic name "${name}": use 1-249 letters, digits, ".", "_" or "-"`,
    );
  }
}

/** How long topic configs are reused: they change rarely, and 1,000 of them cost ~100 ms. */
const CONFIG_TTL_MS = 30_000;
type Configs = { name: string; value: string | null }[];
const configCache = new WeakMap<ConsoleContext, Map<string, { at: number; configs: Configs }>>();

/** Forgets cached configs of a topic (after it was created or deleted here). */
function forgetConfigs(ctx: ConsoleContext, name: string): void {
  configCache.get(ctx)?.delete(name);
}

async function topicConfigs(
  ctx: ConsoleContext,
  names: string[],
  fresh = false,
): Promise<Map<string, Configs>> {
  const cache = configCache.get(ctx) ?? new Map<string, { at: number; configs: Configs }>();
  configCache.set(ctx, cache);
  const now = Date.now();
  const out = new Map<string, Configs>();
  const missing: string[] = [];
  for (const n of names) {
    const hit = cache.get(n);
    if (hit && !fresh && now - hit.at < CONFIG_TTL_MS) out.set(n, hit.configs);
    else missing.push(n);
  }
  if (!missing.length) return out;
  try {
    const res = await ctx.run((admin) =>
      admin.describeConfigs({
        resources: missing.map((name) => ({ type: 2, name })),
        includeSynonyms: false,
      })
    );
    for (const r of res.resources) {
      const configs = r.configEntries.map((e) => ({
        name: e.configName,
        value: e.configValue ?? null,
      })).sort((a, b) => a.name.localeCompare(b.name));
      out.set(r.resourceName, configs);
      cache.set(r.resourceName, { at: now, configs });
    }
  } catch (err) {
    // A broker without DescribeConfigs still gets its topic list.
    if (err instanceof ApiError && err.status === 503) throw err;
  }
  return out;
}

function configOf(configs: { name: string; value: string | null }[] | undefined, name: string) {
  return configs?.find((c) => c.name === name)?.value ?? null;
}

/** Every topic (internal ones with `all`), sorted by name. */
export async function listTopics(
  ctx: ConsoleContext,
  sampler?: Sampler,
  all = false,
): Promise<TopicSummary[]> {
  const names = (await ctx.run((admin) => admin.listTopics()))
    .filter((t) => all || !t.startsWith("__")).sort();
  const [ranges, configs, bytes] = await Promise.all([
    ctx.run((_a, reader) => reader.ranges(names)),
    topicConfigs(ctx, names),
    bytesOnDisk(ctx),
  ]);
  return names.map((name) => {
    const parts = ranges.get(name) ?? [];
    const c = configs.get(name);
    const retention = configOf(c, "retention.ms");
    return {
      name,
      partitions: parts.length,
      messages: parts.reduce((n, p) => n + p.high - p.low, 0),
      cleanupPolicy: configOf(c, "cleanup.policy"),
      retentionMs: retention === null ? null : Number(retention),
      inRate: sampler?.topicRate(name) ?? null,
      outRate: sampler?.topicOutRate(name) ?? null,
      bytesOnDisk: bytes?.get(name) ?? null,
    };
  });
}

/** Bytes on disk per topic from every broker, or null when they are not reported. */
async function bytesOnDisk(ctx: ConsoleContext): Promise<Map<string, number> | null> {
  const cluster = await ctx.run((admin) => admin.describeCluster());
  return await ctx.info.topicBytes(cluster.brokers.map((b) => `${b.host}:${b.port}`));
}

/** One topic with its partitions and configs; 404 when it does not exist. */
export async function describeTopic(
  ctx: ConsoleContext,
  name: string,
  sampler?: Sampler,
): Promise<TopicDetail> {
  checkTopicName(name);
  const meta = await ctx.run(async (admin) => {
    if (!(await admin.listTopics()).includes(name)) {
      throw new ApiError(404, `no topic "${name}" on ${ctx.address}`);
    }
    return (await admin.fetchTopicMetadata({ topics: [name] })).topics[0];
  });
  const ranges = (await ctx.run((_a, reader) => reader.ranges([name]))).get(name) ?? [];
  const bytes = await bytesOnDisk(ctx);
  const configs = (await topicConfigs(ctx, [name], true)).get(name) ?? [];
  const leader = new Map(meta.partitions.map((p) => [p.partitionId, p.leader]));
  const retention = configOf(configs, "retention.ms");
  return {
    name,
    partitions: ranges.length,
    messages: ranges.reduce((n, p) => n + p.high - p.low, 0),
    cleanupPolicy: configOf(configs, "cleanup.policy"),
    retentionMs: retention === null ? null : Number(retention),
    inRate: sampler?.topicRate(name) ?? null,
    outRate: sampler?.topicOutRate(name) ?? null,
    bytesOnDisk: bytes?.get(name) ?? null,
    partitionOffsets: ranges.map((r) => ({ ...r, leader: leader.get(r.partition) ?? -1 })),
    configs,
  };
}

/** What {@link createTopic} takes. */
export interface CreateTopicRequest {
  name: string;
  partitions?: number;
  replication?: number;
  configs?: Record<string, string>;
}

/** Creates a topic; 409 when it exists. */
export async function createTopic(ctx: ConsoleContext, req: CreateTopicRequest): Promise<void> {
  if (typeof req?.name !== "string") throw new ApiError(400, "expected a topic name");
  checkTopicName(req.name);
  const partitions = req.partitions ?? 1;
  const replication = req.replication ?? 1;
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) {
    throw new ApiError(400, `partitions must be an integer from 1 to 10000, not ${partitions}`);
  }
  if (!Number.isInteger(replication) || replication < 1) {
    throw new ApiError(400, `replication must be an integer >= 1, not ${replication}`);
  }
  const configEntries = Object.entries(req.configs ?? {}).map(([name, value]) => ({
    name,
    value: String(value),
  }));
  const created = await ctx.run((admin) =>
    admin.createTopics({
      topics: [{
        topic: req.name,
        numPartitions: partitions,
        replicationFactor: replication,
        configEntries,
      }],
      waitForLeaders: true,
    })
  );
  if (!created) throw new ApiError(409, `topic "${req.name}" already exists`);
  forgetConfigs(ctx, req.name);
  await ctx.run((_a, reader) => reader.refresh());
}

/** Deletes a topic; 404 when it does not exist. */
export async function deleteTopic(ctx: ConsoleContext, name: string): Promise<void> {
  checkTopicName(name);
  await ctx.run(async (admin, reader) => {
    if (!(await admin.listTopics()).includes(name)) {
      throw new ApiError(404, `no topic "${name}" on ${ctx.address}`);
    }
    await admin.deleteTopics({ topics: [name] });
    forgetConfigs(ctx, name);
    await reader.refresh();
  });
}
