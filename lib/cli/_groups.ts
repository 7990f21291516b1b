/**
 * Consumer group facts the `groups` and `lag` commands share: membership and, per partition,
 * the committed and end offsets.
 *
 * @module
 */
import { type Admin, AssignerProtocol } from "kafkajs";

/** Committed and end offsets of one partition for one group. */
export interface PartitionOffsets {
  topic: string;
  partition: number;
  /** -1 when the group has not committed this partition. */
  committed: number;
  end: number;
}

/** One member of a group. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  /** "topic:partition" entries. */
  assignment: string[];
}

/** A group's state and members. */
export interface GroupInfo {
  groupId: string;
  state: string;
  protocolType: string;
  members: GroupMember[];
}

/** States in which a group has members consuming. */
export const ACTIVE_STATES = new Set(["Stable", "PreparingRebalance", "CompletingRebalance"]);

/** Describes groups, decoding member assignments. */
export async function describeGroups(admin: Admin, ids: string[]): Promise<GroupInfo[]> {
  if (!ids.length) return [];
  const { groups } = await admin.describeGroups(ids);
  return groups.map((g) => ({
    groupId: g.groupId,
    state: g.state,
    protocolType: g.protocolType,
    members: g.members.map((m) => {
      let assignment: string[] = [];
      try {
        const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
        assignment = Object.entries(decoded?.assignment ?? {}).flatMap(([t, ps]) =>
          (ps as number[]).map((p) => `${t}:${p}`)
        );
      } catch {
        // A non-consumer protocol (e.g. connect): no topic assignment to show.
      }
      return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost, assignment };
    }),
  }));
}

/** Committed offsets of a group joined with each partition's end offset, sorted. */
export async function groupOffsets(admin: Admin, groupId: string): Promise<PartitionOffsets[]> {
  const committed = await admin.fetchOffsets({ groupId });
  const out: PartitionOffsets[] = [];
  for (const t of committed) {
    if (t.partitions.every((p) => Number(p.offset) < 0)) continue;
    const ends = new Map(
      (await admin.fetchTopicOffsets(t.topic)).map((o) => [o.partition, Number(o.high)]),
    );
    for (const p of t.partitions) {
      out.push({
        topic: t.topic,
        partition: p.partition,
        committed: Number(p.offset),
        end: ends.get(p.partition) ?? 0,
      });
    }
  }
  return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}
