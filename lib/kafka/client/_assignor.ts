/**
 * Eager round-robin assignment, as kafkajs' `RoundRobinAssigner` (the runtime's assigner
 * until now, `lib/stream/kafka/_assigner.ts`): members sorted by id, every subscribed
 * partition dealt out in turn. Same protocol name and metadata version, so a group can mix
 * kafkajs members and this client's.
 *
 * @module
 */

/** The protocol name kafkajs uses for round robin. */
export const ROUND_ROBIN = "RoundRobinAssigner";

/** A member as the leader sees it in JoinGroup. */
export interface AssignorMember {
  memberId: string;
  topics: string[];
}

/**
 * Assigns `partitions` (topic → its partition numbers) to `members`: member id → topic →
 * partitions. A topic goes only to members subscribed to it; every member gets an entry.
 */
export function roundRobin(
  members: AssignorMember[],
  partitions: Map<string, number[]>,
): Map<string, Map<string, number[]>> {
  const sorted = [...members].sort((
    a,
    b,
  ) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const out = new Map<string, Map<string, number[]>>(sorted.map((m) => [m.memberId, new Map()]));
  const topics: string[] = [];
  for (const m of sorted) for (const t of m.topics) if (!topics.includes(t)) topics.push(t);
  let turn = 0;
  for (const topic of topics) {
    const subscribed = sorted.filter((m) => m.topics.includes(topic));
    for (const p of [...(partitions.get(topic) ?? [])].sort((a, b) => a - b)) {
      // kafkajs deals over all members; with one subscription set (the runtime's) it is the same.
      const m = subscribed[turn++ % subscribed.length];
      const mine = out.get(m.memberId)!;
      const list = mine.get(topic);
      if (list) list.push(p);
      else mine.set(topic, [p]);
    }
  }
  return out;
}
