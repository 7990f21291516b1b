/**
 * The group coordinator: every consumer group of this (single-node) broker plus their
 * durable committed offsets.
 *
 * Membership is in memory (a restart makes consumers rejoin, as after a coordinator
 * failover). Committed offsets are journaled to `<dataDir>/__groups/offsets.jsonl` and
 * synced before an OffsetCommit is answered; they never expire (no retention). Offsets
 * committed inside a transaction (TxnOffsetCommit) stay pending, invisible to OffsetFetch,
 * until the transaction coordinator completes the transaction.
 *
 * @module
 */
import { Reader } from "../../kafka/protocol/codec.ts";
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { Logger } from "../../util/log.ts";
import { Journal } from "./journal.ts";
import {
  Group,
  type GroupLimits,
  type GroupState,
  type JoinRequest,
  type JoinResult,
  type MemberSummary,
  type SyncResult,
} from "./group.ts";
import { realTimers, type Timers } from "./timers.ts";
import {
  key,
  type OffsetRecord,
  offsetRecord,
  type Stored,
  validOffsetRecord,
} from "./offset_records.ts";

export type { GroupState, JoinRequest, JoinResult, MemberSummary, SyncResult };

/** Kafka's `offset.metadata.max.bytes` default. */
export const MAX_OFFSET_METADATA_BYTES = 4096;

/** One partition offset to commit. */
export interface OffsetEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata: string | null;
  /** The leader epoch the client saw at this offset (OffsetCommit v6+, TxnOffsetCommit v2+); -1 when unknown. */
  leaderEpoch?: number;
}

/** A committed offset as OffsetFetch returns it (-1 and "" when nothing is committed). */
export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata: string;
  /** The committed leader epoch, -1 when none was committed. */
  leaderEpoch: number;
  /**
   * Set when asked for stable offsets and a transaction holds pending offsets of this
   * partition (OffsetFetch v7 `require_stable`, KIP-447): the client retries later.
   */
  unstable?: boolean;
}

/** A member named in a LeaveGroup v3+ request. */
export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
}

/** A DescribeGroups entry. */
export interface GroupDescription {
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolName: string;
  members: MemberSummary[];
}

/** Options for {@link GroupCoordinator.open}. */
export interface GroupCoordinatorOptions {
  dataDir: string;
  logger: Logger;
  /** Clock override (timers still use real time unless `timers` is given). */
  now?: () => number;
  /** Timer source; tests pass a manual one. */
  timers?: Timers;
  /** Journal sync policy for committed offsets (default "always"). */
  fsync?: "always" | "interval";
  /** Lowest accepted session timeout (default 1000 ms; Kafka's default is 6000). */
  minSessionTimeoutMs?: number;
  /** Highest accepted session timeout (default 1800000 ms, as Kafka). */
  maxSessionTimeoutMs?: number;
  /** Delay before the first rebalance of an empty group completes (default 0 ms). */
  initialRebalanceDelayMs?: number;
}

const encoder = new TextEncoder();

/** Settles with `p`, or with `onAbort()` as soon as `signal` aborts (broker shutdown). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, onAbort: () => T) {
  if (!signal) return p;
  if (signal.aborted) return Promise.resolve(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => resolve(onAbort());
    signal.addEventListener("abort", abort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", abort));
  });
}

/**
 * The topics a consumer group's members subscribe to, from their ConsumerProtocolSubscription
 * metadata (`version int16, topics [string], ...`); null when some member's cannot be read,
 * which counts as subscribed to everything, as Kafka does while it does not know.
 */
function subscribedTopics(g: Group): Set<string> | null {
  const out = new Set<string>();
  for (const member of g.members.values()) {
    const meta = member.metadataFor(g.protocolName ?? member.protocols[0]?.name ?? null);
    try {
      const r = new Reader(meta);
      r.int16();
      for (const t of r.array((r) => r.string())) out.add(t);
    } catch {
      return null;
    }
  }
  return out;
}

/** Coordinates consumer groups and stores their committed offsets; see the module doc. */
export class GroupCoordinator {
  #groups = new Map<string, Group>();
  #offsets = new Map<string, Map<string, Stored & { topic: string; partition: number }>>();
  #protocolTypes = new Map<string, string>();
  /** groupId → producerId → pending transactional offsets. */
  #txnOffsets = new Map<string, Map<number, Map<string, OffsetEntry>>>();
  #journal: Journal<OffsetRecord>;
  #timers: Timers;
  #limits: GroupLimits;
  #logger: Logger;
  #compacting: Promise<void> | null = null;
  #closed = false;

  private constructor(
    journal: Journal<OffsetRecord>,
    timers: Timers,
    limits: GroupLimits,
    logger: Logger,
  ) {
    this.#journal = journal;
    this.#timers = timers;
    this.#limits = limits;
    this.#logger = logger;
  }

  /** Loads committed offsets from `<dataDir>/__groups/` and starts the coordinator. */
  static async open(opts: GroupCoordinatorOptions): Promise<GroupCoordinator> {
    const logger = opts.logger.child("groups");
    const offsets = new Map<string, Map<string, Stored & { topic: string; partition: number }>>();
    const protocolTypes = new Map<string, string>();
    const journal = await Journal.open<OffsetRecord>({
      path: `${opts.dataDir}/__groups/offsets.jsonl`,
      logger,
      sync: opts.fsync ?? "always",
      validate: validOffsetRecord,
      replay: (r) => {
        if ("del" in r && "t" in r) {
          offsets.get(r.g)?.delete(key(r.t, r.p)); // OffsetDelete of one partition
        } else if ("del" in r) {
          offsets.delete(r.g);
          protocolTypes.delete(r.g);
        } else if ("pt" in r) {
          protocolTypes.set(r.g, r.pt);
        } else {
          let m = offsets.get(r.g);
          if (!m) offsets.set(r.g, m = new Map());
          m.set(key(r.t, r.p), {
            topic: r.t,
            partition: r.p,
            offset: r.o,
            metadata: r.m,
            leaderEpoch: r.le ?? -1,
            ts: r.ts,
          });
        }
      },
    });
    const timers = opts.timers ?? realTimers(opts.now);
    const c = new GroupCoordinator(journal, timers, {
      minSessionTimeoutMs: opts.minSessionTimeoutMs ?? 1000,
      maxSessionTimeoutMs: opts.maxSessionTimeoutMs ?? 1_800_000,
      initialRebalanceDelayMs: opts.initialRebalanceDelayMs ?? 0,
    }, logger);
    c.#offsets = offsets;
    c.#protocolTypes = protocolTypes;
    for (const [g, pt] of protocolTypes) c.#group(g).protocolType = pt;
    for (const g of offsets.keys()) c.#group(g);
    let n = 0;
    for (const m of offsets.values()) n += m.size;
    logger.info(`loaded ${n} committed offsets of ${offsets.size} groups`);
    return c;
  }

  #group(groupId: string): Group {
    let g = this.#groups.get(groupId);
    if (!g) {
      g = new Group(groupId, this.#timers, this.#limits, this.#logger, (x) => this.#changed(x));
      this.#groups.set(groupId, g);
    }
    return g;
  }

  #changed(g: Group): void {
    // The protocol type is durable so ListGroups/DescribeGroups still show it after a restart.
    if (g.protocolType !== null && this.#protocolTypes.get(g.groupId) !== g.protocolType) {
      this.#protocolTypes.set(g.groupId, g.protocolType);
      this.#journal.append([{ g: g.groupId, pt: g.protocolType }]).catch(() => {});
    }
  }

  // ---- membership ------------------------------------------------------------------------

  /** JoinGroup (long poll); `signal` (broker shutdown) ends the wait early. */
  join(req: JoinRequest, signal?: AbortSignal): Promise<JoinResult> {
    const fail = (code: number) =>
      Promise.resolve<JoinResult>({
        errorCode: code,
        generationId: -1,
        protocolName: "",
        leader: "",
        memberId: req.memberId,
        members: [],
      });
    if (this.#closed) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE.code);
    if (req.groupId === "") return fail(ErrorCode.INVALID_GROUP_ID.code);
    const existing = this.#groups.get(req.groupId);
    if (!existing && req.memberId !== "") return fail(ErrorCode.UNKNOWN_MEMBER_ID.code);
    return untilAborted(
      this.#group(req.groupId).join(req),
      signal,
      () => ({
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE.code,
        generationId: -1,
        protocolName: "",
        leader: "",
        memberId: req.memberId,
        members: [],
      }),
    );
  }

  /** SyncGroup (followers wait for the leader); `signal` ends the wait early. */
  sync(
    groupId: string,
    generationId: number,
    memberId: string,
    assignments: { memberId: string; assignment: Uint8Array }[],
    signal?: AbortSignal,
    groupInstanceId: string | null = null,
  ): Promise<SyncResult> {
    if (groupId === "") {
      return Promise.resolve({
        errorCode: ErrorCode.INVALID_GROUP_ID.code,
        assignment: new Uint8Array(0),
      });
    }
    const g = this.#groups.get(groupId);
    if (!g) {
      return Promise.resolve({
        errorCode: ErrorCode.UNKNOWN_MEMBER_ID.code,
        assignment: new Uint8Array(0),
      });
    }
    return untilAborted(
      g.sync(memberId, generationId, assignments, groupInstanceId),
      signal,
      () => ({
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE.code,
        assignment: new Uint8Array(0),
      }),
    );
  }

  /** Heartbeat; returns the error code. */
  heartbeat(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null = null,
  ): number {
    if (groupId === "") return ErrorCode.INVALID_GROUP_ID.code;
    const g = this.#groups.get(groupId);
    return g
      ? g.heartbeat(memberId, generationId, groupInstanceId)
      : ErrorCode.UNKNOWN_MEMBER_ID.code;
  }

  /**
   * LeaveGroup; one error code per member, in order. A member is its id, or (v3+) its id and
   * `group_instance_id`: an empty id with an instance id removes that static member.
   */
  leave(groupId: string, members: (string | LeavingMember)[]): number[] {
    if (groupId === "") return members.map(() => ErrorCode.INVALID_GROUP_ID.code);
    const g = this.#groups.get(groupId);
    return members.map((m) => {
      if (!g) return ErrorCode.UNKNOWN_MEMBER_ID.code;
      return typeof m === "string" ? g.leave(m) : g.leave(m.memberId, m.groupInstanceId);
    });
  }

  // ---- offsets ----------------------------------------------------------------------------

  /**
   * OffsetCommit: validates membership, then stores the offsets durably. Returns one error
   * code per entry, in order.
   */
  async commitOffsets(
    groupId: string,
    generationId: number,
    memberId: string,
    entries: OffsetEntry[],
    groupInstanceId: string | null = null,
  ): Promise<number[]> {
    if (groupId === "") return entries.map(() => ErrorCode.INVALID_GROUP_ID.code);
    if (this.#closed) return entries.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE.code);
    let g = this.#groups.get(groupId);
    if (!g) {
      // A commit with no generation (admin tool, manual assign) creates an Empty group.
      if (generationId >= 0) return entries.map(() => ErrorCode.ILLEGAL_GENERATION.code);
      g = this.#group(groupId);
    }
    const code = g.validateCommit(memberId, groupInstanceId, generationId, false);
    if (code !== 0) return entries.map(() => code);
    const codes = entries.map((e) => this.#checkEntry(e));
    try {
      await this.#store(groupId, entries.filter((_, i) => codes[i] === 0));
    } catch (e) {
      // A full disk: a retriable error code (as Kafka answers when its offsets log cannot
      // be written), not a closed connection; nothing of this commit is visible.
      this.#logger.error(`offset commit of group ${groupId} failed: ${(e as Error).message}`);
      return codes.map((c) => c === 0 ? ErrorCode.COORDINATOR_NOT_AVAILABLE.code : c);
    }
    return codes;
  }

  #checkEntry(e: OffsetEntry): number {
    if (e.metadata !== null && encoder.encode(e.metadata).length > MAX_OFFSET_METADATA_BYTES) {
      return ErrorCode.OFFSET_METADATA_TOO_LARGE.code;
    }
    return 0;
  }

  async #store(groupId: string, entries: OffsetEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const ts = this.#timers.now();
    const records: OffsetRecord[] = entries.map((e) =>
      offsetRecord(
        groupId,
        e.topic,
        e.partition,
        e.offset,
        e.metadata ?? "",
        e.leaderEpoch ?? -1,
        ts,
      )
    );
    // Visible only once durable: a failed write must not be served by OffsetFetch. Appends
    // resolve in order, so the latest commit of a partition still wins.
    await this.#journal.append(records);
    let m = this.#offsets.get(groupId);
    if (!m) this.#offsets.set(groupId, m = new Map());
    for (const e of entries) {
      const metadata = e.metadata ?? "";
      const leaderEpoch = e.leaderEpoch ?? -1;
      m.set(key(e.topic, e.partition), {
        topic: e.topic,
        partition: e.partition,
        offset: e.offset,
        metadata,
        leaderEpoch,
        ts,
      });
    }
    this.#maybeCompact();
  }

  /**
   * OffsetFetch: the committed offset of each requested partition (-1 when none), or of every
   * partition the group committed when `partitions` is null. Pending transactional offsets
   * are not visible.
   */
  fetchOffsets(
    groupId: string,
    partitions: { topic: string; partition: number }[] | null,
    requireStable = false,
  ): CommittedOffset[] {
    const m = this.#offsets.get(groupId);
    const pending = requireStable ? this.#txnOffsets.get(groupId) : undefined;
    const out: CommittedOffset[] = partitions === null
      ? [...(m?.values() ?? [])].map((s) => ({
        topic: s.topic,
        partition: s.partition,
        offset: s.offset,
        metadata: s.metadata,
        leaderEpoch: s.leaderEpoch,
      }))
      : partitions.map(({ topic, partition }) => {
        const s = m?.get(key(topic, partition));
        return {
          topic,
          partition,
          offset: s?.offset ?? -1,
          metadata: s?.metadata ?? "",
          leaderEpoch: s?.leaderEpoch ?? -1,
        };
      });
    if (pending) {
      for (const o of out) {
        const k = key(o.topic, o.partition);
        for (const staged of pending.values()) if (staged.has(k)) o.unstable = true;
      }
    }
    return out;
  }

  #maybeCompact(): void {
    let live = this.#protocolTypes.size;
    for (const m of this.#offsets.values()) live += m.size;
    if (this.#compacting || this.#journal.records < 2 * live + 10_000) return;
    const snapshot: OffsetRecord[] = [];
    for (const [g, pt] of this.#protocolTypes) snapshot.push({ g, pt });
    for (const [g, m] of this.#offsets) {
      for (const s of m.values()) {
        snapshot.push(
          offsetRecord(g, s.topic, s.partition, s.offset, s.metadata, s.leaderEpoch, s.ts),
        );
      }
    }
    this.#compacting = this.#journal.rewrite(snapshot).catch((e) => {
      this.#logger.error(`offset journal compaction failed: ${(e as Error).message}`);
    }).finally(() => this.#compacting = null);
  }

  /**
   * OffsetDelete: removes the committed offsets of `partitions`. A partition of a topic the
   * group consumes keeps its offset and gets GROUP_SUBSCRIBED_TO_TOPIC, as in Kafka; a
   * non-consumer group with members is refused as a whole (NON_EMPTY_GROUP).
   */
  async deleteOffsets(
    groupId: string,
    partitions: { topic: string; partition: number }[],
  ): Promise<{ error: number; codes: number[] }> {
    const none = (error: number) => ({ error, codes: partitions.map(() => 0) });
    if (groupId === "") return none(ErrorCode.INVALID_GROUP_ID.code);
    if (this.#closed) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE.code);
    const g = this.#groups.get(groupId);
    if (!g) return none(ErrorCode.GROUP_ID_NOT_FOUND.code);
    const active = g.state !== "Empty" || g.members.size > 0;
    if (active && g.protocolType !== "consumer") return none(ErrorCode.NON_EMPTY_GROUP.code);
    const subscribed = active ? subscribedTopics(g) : new Set<string>();
    const m = this.#offsets.get(groupId);
    const records: OffsetRecord[] = [];
    const codes = partitions.map(({ topic, partition }) => {
      if (subscribed === null || subscribed.has(topic)) {
        return ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC.code;
      }
      if (m?.delete(key(topic, partition))) {
        records.push({ g: groupId, t: topic, p: partition, del: true });
      }
      return 0;
    });
    if (records.length > 0) {
      await this.#journal.append(records);
      this.#logger.info(`group ${groupId}: deleted ${records.length} committed offset(s)`);
    }
    return { error: 0, codes };
  }

  // ---- transactional offsets (called by the transaction coordinator) -------------------------

  /**
   * TxnOffsetCommit v3 (KIP-447): whether the committing consumer still belongs to the group's
   * current generation, and (KIP-345) is the current incarnation of its static instance.
   * Without generation and member (v0–2, or a producer not tied to a consumer) anything goes,
   * as in Kafka.
   */
  validateTxnCommit(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null = null,
  ): number {
    const g = this.#groups.get(groupId);
    if (!g) return generationId < 0 ? 0 : ErrorCode.ILLEGAL_GENERATION.code;
    return g.validateCommit(memberId, groupInstanceId, generationId, true);
  }

  /** TxnOffsetCommit: stages offsets for `producerId`; returns one error code per entry. */
  stageTxnOffsets(groupId: string, producerId: number, entries: OffsetEntry[]): number[] {
    if (groupId === "") return entries.map(() => ErrorCode.INVALID_GROUP_ID.code);
    this.#group(groupId);
    let byPid = this.#txnOffsets.get(groupId);
    if (!byPid) this.#txnOffsets.set(groupId, byPid = new Map());
    let staged = byPid.get(producerId);
    if (!staged) byPid.set(producerId, staged = new Map());
    return entries.map((e) => {
      const code = this.#checkEntry(e);
      if (code === 0) staged!.set(key(e.topic, e.partition), e);
      return code;
    });
  }

  /** Removes and returns the offsets staged by `producerId` for `groupId`. */
  /** The offsets a transaction has staged, left staged (EndTxn journals them first). */
  peekTxnOffsets(groupId: string, producerId: number): OffsetEntry[] {
    return [...(this.#txnOffsets.get(groupId)?.get(producerId)?.values() ?? [])];
  }

  takeTxnOffsets(groupId: string, producerId: number): OffsetEntry[] {
    const byPid = this.#txnOffsets.get(groupId);
    const staged = byPid?.get(producerId);
    if (!byPid || !staged) return [];
    byPid.delete(producerId);
    if (byPid.size === 0) this.#txnOffsets.delete(groupId);
    return [...staged.values()];
  }

  /** Makes transactional offsets visible (EndTxn commit); durable when it resolves. */
  applyTxnOffsets(groupId: string, entries: OffsetEntry[]): Promise<void> {
    this.#group(groupId);
    return this.#store(groupId, entries);
  }

  // ---- describe, list, delete ----------------------------------------------------------------

  /** DescribeGroups entry; an unknown group is reported as Dead with empty fields. */
  describe(groupId: string): GroupDescription {
    const g = this.#groups.get(groupId);
    if (!g) return { groupId, state: "Dead", protocolType: "", protocolName: "", members: [] };
    return {
      groupId,
      state: g.state,
      protocolType: g.protocolType ?? "",
      protocolName: g.state === "Stable" ? g.protocolName ?? "" : "",
      members: g.summary(),
    };
  }

  /** ListGroups entries. */
  list(): { groupId: string; protocolType: string; state: GroupState }[] {
    return [...this.#groups.values()].map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType ?? "",
      state: g.state,
    }));
  }

  /** DeleteGroups for one group: GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, or deletes it. */
  async deleteGroup(groupId: string): Promise<number> {
    if (groupId === "") return ErrorCode.INVALID_GROUP_ID.code;
    const g = this.#groups.get(groupId);
    if (!g) return ErrorCode.GROUP_ID_NOT_FOUND.code;
    if (g.state !== "Empty" || g.pendingMembers.size > 0) return ErrorCode.NON_EMPTY_GROUP.code;
    g.shutdown();
    this.#groups.delete(groupId);
    this.#offsets.delete(groupId);
    this.#protocolTypes.delete(groupId);
    this.#txnOffsets.delete(groupId);
    await this.#journal.append([{ g: groupId, del: true }]);
    this.#logger.info(`group ${groupId} deleted`);
    return 0;
  }

  /** Stops every timer, answers parked requests, flushes and closes the offset journal. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const g of this.#groups.values()) g.shutdown();
    if (this.#compacting) await this.#compacting;
    await this.#journal.close();
  }
}
