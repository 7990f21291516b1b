/**
 * One consumer's membership of its group: join (JoinGroup + SyncGroup, the leader assigning),
 * heartbeats, leaving, and the group's offsets (OffsetCommit with the generation, OffsetFetch
 * with `require_stable`). With a `group.instance.id` the member is static (KIP-345): a restart
 * with the same id takes its old member's place (and, in a stable group, its assignment)
 * at once instead of waiting for the old session to time out.
 *
 * @module
 */

import type { Reader, Writer } from "../protocol/codec.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { type AssignorMember, ROUND_ROBIN, roundRobin } from "./_assignor.ts";
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  GroupApi,
  readErrorCode,
  readJoinGroup,
  readLeaveGroup,
  readSyncGroup,
  writeHeartbeat,
  writeJoinGroup,
  writeLeaveGroup,
  writeSyncGroup,
} from "./_group_codec.ts";
import {
  type CommittedOffset,
  OffsetApi,
  readOffsetCommit,
  readOffsetFetch,
  type TopicOffsets,
  writeOffsetCommit,
  writeOffsetFetch,
} from "./_offset_codec.ts";

/** What the group needs from a connection (a `KafkaConnection` has this shape). */
export interface Channel {
  request(
    apiKey: number,
    version: number,
    body: (w: Writer) => void,
    opts?: { flexible?: boolean; timeoutMs?: number },
  ): Promise<Reader>;
}

/** A Kafka error code answered by the group coordinator. */
export class GroupError extends Error {
  constructor(readonly code: number, what: string) {
    super(`${what}: ${errorName(code)}`);
    this.name = "GroupError";
  }
  /** Worth retrying after finding the coordinator again (or it is a rebalance). */
  get retriable(): boolean {
    return RETRIABLE.has(this.code);
  }
}

const NAMES = new Map<number, string>(Object.values(ErrorCode).map((e) => [e.code, e.name]));

/** The canonical name of a Kafka error code. */
export function errorName(code: number): string {
  return NAMES.get(code) ?? `error code ${code}`;
}

const E = ErrorCode;
const COORDINATOR_MOVED = new Set([
  E.NOT_COORDINATOR.code,
  E.COORDINATOR_NOT_AVAILABLE.code,
  E.COORDINATOR_LOAD_IN_PROGRESS.code,
]);
const RETRIABLE = new Set([
  ...COORDINATOR_MOVED,
  E.REBALANCE_IN_PROGRESS.code,
  E.ILLEGAL_GENERATION.code,
  E.UNKNOWN_MEMBER_ID.code,
  E.UNSTABLE_OFFSET_COMMIT.code,
]);

export interface GroupOptions {
  groupId: string;
  /** Static membership (KIP-345); null: a dynamic member. */
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** This member's user data in its subscription (e.g. its advertised URL). */
  userData?: () => Uint8Array | null;
}

/** A partition's committed offset: -1 when the group has none. */
export interface Committed {
  topic: string;
  partition: number;
  offset: number;
}

export class GroupMember {
  memberId = "";
  generationId = -1;

  constructor(
    readonly opts: GroupOptions,
    /** The group coordinator's connection (found and cached by the caller). */
    readonly coordinator: () => Promise<Channel>,
    /** Forgets the coordinator (it moved, or its connection failed). */
    readonly coordinatorLost: () => void,
    /** The partitions of topics, for the leader's assignment. */
    readonly partitionsOf: (topics: string[]) => Promise<Map<string, number[]>>,
  ) {}

  /** True while the member belongs to a generation. */
  get joined(): boolean {
    return this.generationId >= 0 && this.memberId !== "";
  }

  /**
   * Joins (or rejoins) the group and returns this member's assignment (topic → partitions).
   * Throws {@link GroupError} for a refusal that retrying cannot fix (FENCED_INSTANCE_ID: two
   * live instances share a `group.instance.id`), and connection errors as they come.
   */
  async join(topics: string[]): Promise<Map<string, number[]>> {
    const { groupId, groupInstanceId } = this.opts;
    for (;;) {
      const c = await this.coordinator();
      const metadata = encodeSubscription(topics, this.opts.userData?.() ?? null);
      const { key, version } = GroupApi.joinGroup;
      const joined = readJoinGroup(
        await c.request(key, version, (w) =>
          writeJoinGroup(w, {
            groupId,
            sessionTimeoutMs: this.opts.sessionTimeoutMs,
            rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs,
            memberId: this.memberId,
            groupInstanceId,
            protocols: [{ name: ROUND_ROBIN, metadata }],
          }), { timeoutMs: this.opts.rebalanceTimeoutMs + 5000 }),
      );
      const code = joined.errorCode;
      if (code === E.MEMBER_ID_REQUIRED.code) {
        this.memberId = joined.memberId;
        continue;
      }
      if (code === E.UNKNOWN_MEMBER_ID.code) {
        this.memberId = "";
        continue;
      }
      if (code === E.REBALANCE_IN_PROGRESS.code) continue;
      if (code !== 0) this.#fail(code, `joining group ${groupId}`);
      this.memberId = joined.memberId;
      this.generationId = joined.generationId;
      let assignments: { memberId: string; assignment: Uint8Array }[] = [];
      if (joined.leader === joined.memberId) {
        const members: AssignorMember[] = joined.members.map((m) => ({
          memberId: m.memberId,
          topics: decodeSubscription(m.metadata).topics,
        }));
        const all = [...new Set(members.flatMap((m) => m.topics))];
        const plan = roundRobin(members, await this.partitionsOf(all));
        assignments = [...plan].map(([memberId, a]) => ({
          memberId,
          assignment: encodeAssignment(a),
        }));
      }
      const s = GroupApi.syncGroup;
      const synced = readSyncGroup(
        await c.request(s.key, s.version, (w) =>
          writeSyncGroup(w, {
            groupId,
            generationId: this.generationId,
            memberId: this.memberId,
            groupInstanceId,
            assignments,
          }), { timeoutMs: this.opts.rebalanceTimeoutMs + 5000 }),
      );
      if (synced.errorCode === E.REBALANCE_IN_PROGRESS.code) continue;
      if (synced.errorCode === E.UNKNOWN_MEMBER_ID.code) {
        this.memberId = "";
        continue;
      }
      if (synced.errorCode === E.ILLEGAL_GENERATION.code) continue;
      if (synced.errorCode !== 0) this.#fail(synced.errorCode, `syncing group ${groupId}`);
      return decodeAssignment(synced.assignment);
    }
  }

  /**
   * One heartbeat: "ok", or "rejoin" when the group rebalances or no longer knows this
   * member's generation. Throws for FENCED_INSTANCE_ID and connection errors.
   */
  async heartbeat(): Promise<"ok" | "rejoin"> {
    if (!this.joined) return "rejoin";
    const c = await this.coordinator();
    const { key, version } = GroupApi.heartbeat;
    const code = readErrorCode(
      await c.request(key, version, (w) => writeHeartbeat(w, this.#identity())),
    );
    if (code === 0) return "ok";
    if (code === E.REBALANCE_IN_PROGRESS.code || code === E.ILLEGAL_GENERATION.code) {
      return "rejoin";
    }
    if (code === E.UNKNOWN_MEMBER_ID.code) {
      this.memberId = "";
      this.generationId = -1;
      return "rejoin";
    }
    this.#fail(code, `heartbeat to group ${this.opts.groupId}`);
  }

  /** Leaves the group (best effort), so the others take this member's partitions now. */
  async leave(): Promise<void> {
    if (this.memberId === "") return;
    const c = await this.coordinator();
    const { key, version } = GroupApi.leaveGroup;
    const members = [{ memberId: this.memberId, groupInstanceId: this.opts.groupInstanceId }];
    readLeaveGroup(
      await c.request(key, version, (w) => writeLeaveGroup(w, this.opts.groupId, members), {
        timeoutMs: 5000,
      }),
    );
    this.memberId = "";
    this.generationId = -1;
  }

  /** Commits offsets in this member's generation; throws the first partition's error. */
  async commit(topics: TopicOffsets[]): Promise<void> {
    const c = await this.coordinator();
    const { key, version } = OffsetApi.offsetCommit;
    const res = readOffsetCommit(
      await c.request(key, version, (w) => writeOffsetCommit(w, { ...this.#identity(), topics })),
    );
    const bad = res.find((p) => p.errorCode !== 0);
    if (bad) {
      this.#fail(bad.errorCode, `committing offsets of ${bad.topic}[${bad.partition}]`);
    }
  }

  /**
   * The committed offsets of `topics` (stable: while a transaction holds pending offsets of a
   * partition, the coordinator answers UNSTABLE_OFFSET_COMMIT and this waits and asks again).
   */
  async committed(
    topics: { topic: string; partitions: number[] }[],
    signal?: AbortSignal,
  ): Promise<Committed[]> {
    const { key, version } = OffsetApi.offsetFetch;
    for (let wait = 20;; wait = Math.min(wait * 2, 500)) {
      const c = await this.coordinator();
      const res = readOffsetFetch(
        await c.request(key, version, (w) => writeOffsetFetch(w, this.opts.groupId, topics, true), {
          flexible: true,
        }),
      );
      const unstable = res.errorCode === E.UNSTABLE_OFFSET_COMMIT.code ||
        res.offsets.some((o: CommittedOffset) => o.errorCode === E.UNSTABLE_OFFSET_COMMIT.code);
      if (unstable && !signal?.aborted) {
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      if (res.errorCode !== 0) {
        this.#fail(res.errorCode, `fetching offsets of ${this.opts.groupId}`);
      }
      const bad = res.offsets.find((o) => o.errorCode !== 0);
      if (bad) this.#fail(bad.errorCode, `fetching the offset of ${bad.topic}[${bad.partition}]`);
      return res.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset }));
    }
  }

  #identity() {
    return {
      groupId: this.opts.groupId,
      generationId: this.generationId,
      memberId: this.memberId,
      groupInstanceId: this.opts.groupInstanceId,
    };
  }

  #fail(code: number, what: string): never {
    if (COORDINATOR_MOVED.has(code)) this.coordinatorLost();
    if (code === E.FENCED_INSTANCE_ID.code) {
      what += ` (another running member uses group.instance.id ${
        JSON.stringify(this.opts.groupInstanceId)
      }: each replica needs its own SA_GROUP_INSTANCE_ID)`;
    }
    throw new GroupError(code, what);
  }
}
