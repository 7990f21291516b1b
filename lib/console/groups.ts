/**
 * Consumer groups for the console: list with status, describe (members, assignments, per
 * partition committed / end / lag / exact lag in seconds / Burrow-style status), and reset
 * offsets of an empty group to earliest, latest, a timestamp or an offset.
 *
 * @module
 */
import { ApiError, type ConsoleContext } from "./_context.ts";
import type { Sampler } from "./_sampler.ts";
import { ACTIVE_STATES, describeGroups, type GroupMember, groupOffsets } from "../cli/_groups.ts";
import { evaluatePartition, lagOf, type LagStatus, worst } from "../cli/_lag_eval.ts";
import { lagSeconds } from "../cli/_cluster.ts";

/** One partition of a group. */
export interface GroupPartition {
  topic: string;
  partition: number;
  /** -1: never committed. */
  committed: number;
  end: number;
  lag: number;
  /** Now minus the timestamp of the record at the committed offset; null: unknown. */
  lagSeconds: number | null;
  status: LagStatus;
  reason: string;
  /** clientId of the member that owns it, if any. */
  consumer: string | null;
}

/** A group in detail. */
export interface GroupDetail {
  group: string;
  state: string;
  status: LagStatus;
  members: GroupMember[];
  partitions: GroupPartition[];
  totalLag: number;
  maxLagSeconds: number | null;
}

/** One row of the group list. */
export interface GroupSummary {
  group: string;
  state: string;
  members: number;
  status: LagStatus;
  totalLag: number;
  maxLagSeconds: number | null;
}

/** Every group with its status. */
export async function listGroups(ctx: ConsoleContext, sampler?: Sampler): Promise<GroupSummary[]> {
  const ids = (await ctx.run((a) => a.listGroups())).groups.map((g) => g.groupId).sort();
  const out: GroupSummary[] = [];
  for (const id of ids) {
    const d = await describeGroup(ctx, id, sampler);
    out.push({
      group: id,
      state: d.state,
      members: d.members.length,
      status: d.status,
      totalLag: d.totalLag,
      maxLagSeconds: d.maxLagSeconds,
    });
  }
  return out;
}

/** One group; 404 when the broker knows nothing of it. */
export async function describeGroup(
  ctx: ConsoleContext,
  group: string,
  sampler?: Sampler,
): Promise<GroupDetail> {
  return await ctx.run(async (admin, reader) => {
    const known = (await admin.listGroups()).groups.some((g) => g.groupId === group);
    const [info] = await describeGroups(admin, [group]);
    const offsets = await groupOffsets(admin, group);
    if (!known && offsets.length === 0) {
      throw new ApiError(404, `no group "${group}" on ${ctx.address}`);
    }
    const members = info?.members ?? [];
    const active = !!info && ACTIVE_STATES.has(info.state) && members.length > 0;
    const owner = new Map<string, string>();
    for (const m of members) for (const tp of m.assignment) owner.set(tp, m.clientId);
    const now = Date.now();
    const partitions: GroupPartition[] = [];
    for (const o of offsets) {
      const window = [...(sampler?.window(group, o.topic, o.partition) ?? [])];
      window.push({ committed: o.committed, end: o.end });
      const { status, reason } = evaluatePartition(window, active);
      partitions.push({
        ...o,
        lag: lagOf(o),
        lagSeconds: await lagSeconds(reader, o.topic, o.partition, o.committed, o.end, now),
        status,
        reason,
        consumer: owner.get(`${o.topic}:${o.partition}`) ?? null,
      });
    }
    const secs = partitions.map((p) => p.lagSeconds).filter((s): s is number => s !== null);
    return {
      group,
      state: info?.state ?? "Unknown",
      status: worst(partitions.map((p) => p.status)),
      members,
      partitions,
      totalLag: partitions.reduce((n, p) => n + p.lag, 0),
      maxLagSeconds: secs.length ? Math.max(...secs) : null,
    };
  });
}

/** Where {@link resetGroup} moves offsets. */
export interface ResetRequest {
  to: "earliest" | "latest" | "timestamp" | "offset";
  /** For "timestamp": epoch ms or an ISO date. */
  timestamp?: number | string;
  /** For "offset". */
  offset?: number;
  /** Only this topic (needed when the group never committed). */
  topic?: string;
  /** Only this partition (with topic). */
  partition?: number;
}

/** The new offsets, per topic and partition. */
export type ResetResult = { topic: string; partitions: { partition: number; offset: number }[] }[];

/** Moves an empty group's committed offsets; 409 while it has members. */
export async function resetGroup(
  ctx: ConsoleContext,
  group: string,
  req: ResetRequest,
): Promise<ResetResult> {
  const to = req?.to;
  if (!["earliest", "latest", "timestamp", "offset"].includes(to)) {
    throw new ApiError(400, `"to" must be earliest, latest, timestamp or offset, not ${to}`);
  }
  let ms = 0;
  if (to === "timestamp") {
    ms = typeof req.timestamp === "number" ? req.timestamp : Date.parse(String(req.timestamp));
    if (!Number.isFinite(ms)) {
      throw new ApiError(
        400,
        `bad timestamp "${req.timestamp}": expected epoch ms or an ISO date (2024-05-09T12:00:00Z)`,
      );
    }
  }
  if (to === "offset" && (!Number.isInteger(req.offset) || (req.offset as number) < 0)) {
    throw new ApiError(400, `bad offset "${req.offset}": expected an integer >= 0`);
  }
  return await ctx.run(async (admin, reader) => {
    const [info] = await describeGroups(admin, [group]);
    if (info && (ACTIVE_STATES.has(info.state) || info.members.length > 0)) {
      throw new ApiError(
        409,
        `group "${group}" is running (${info.members.length} member(s), ${info.state}); ` +
          "stop its app first, then reset",
      );
    }
    let topics = req.topic ? [req.topic] : [];
    if (!topics.length) {
      topics = (await admin.fetchOffsets({ groupId: group }))
        .filter((t) => t.partitions.some((p) => Number(p.offset) >= 0)).map((t) => t.topic);
    }
    if (!topics.length) {
      throw new ApiError(400, `group "${group}" has no committed offsets; name a topic`);
    }
    const existing = new Set(await admin.listTopics());
    const result: ResetResult = [];
    for (const topic of topics.sort()) {
      if (!existing.has(topic)) throw new ApiError(404, `no topic "${topic}"`);
      let ranges = (await reader.ranges([topic])).get(topic) ?? [];
      if (req.partition !== undefined) {
        ranges = ranges.filter((r) => r.partition === req.partition);
        if (!ranges.length) {
          throw new ApiError(404, `topic "${topic}" has no partition ${req.partition}`);
        }
      }
      const at = to === "timestamp" ? await reader.offsetsForTime(topic, ms) : undefined;
      const partitions = ranges.map((r) => {
        let offset: number;
        if (to === "earliest") offset = r.low;
        else if (to === "latest") offset = r.high;
        else if (to === "offset") offset = Math.min(Math.max(req.offset as number, r.low), r.high);
        else {
          const o = at?.get(r.partition) ?? -1;
          offset = o < 0 ? r.high : o; // past the last record: the end
        }
        return { partition: r.partition, offset };
      });
      await reader.commit(group, topic, partitions);
      result.push({ topic, partitions });
    }
    return result;
  });
}
