/**
 * One consumer group: Kafka's classic membership state machine.
 *
 * States: Empty → PreparingRebalance → CompletingRebalance → Stable, plus Dead once the
 * group is deleted. JoinGroup and SyncGroup are long polls: {@link Group.join} and
 * {@link Group.sync} return promises that settle when the rebalance reaches the point the
 * caller waits for. Follows apache/kafka's classic group coordinator (`GroupCoordinator.scala`
 * 3.8, `GroupMetadataManager`/`ClassicGroup` 3.9). Static membership (KIP-345): a join carrying
 * a known `group_instance_id` and no member id replaces (fences) the old member right away, and
 * in a Stable group takes its assignment back without a rebalance; requests naming an instance
 * id are checked against its current member id ({@link Group.validateMember}).
 *
 * @module
 */
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { Logger } from "../../util/log.ts";
import type { TimerHandle, Timers } from "./timers.ts";
import { EMPTY, Member, sameProtocols } from "./member.ts";
import {
  type GroupLimits,
  type GroupState,
  joinError,
  type JoinRequest,
  type JoinResult,
  type MemberSummary,
  type SyncResult,
} from "./messages.ts";

export type {
  GroupLimits,
  GroupProtocol,
  GroupState,
  JoinMember,
  JoinRequest,
  JoinResult,
  MemberSummary,
  SyncResult,
} from "./messages.ts";

/** A consumer group and its members; see the module doc. */
export class Group {
  readonly groupId: string;
  state: GroupState = "Empty";
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, awaiting their second join. */
  readonly pendingMembers = new Map<string, TimerHandle>();
  /** Static members (KIP-345): group instance id → current member id. */
  #staticMembers = new Map<string, string>();
  #rebalanceTimer: TimerHandle | null = null;
  #syncTimer: TimerHandle | null = null;
  #pendingSync = new Set<string>();
  #timers: Timers;
  #limits: GroupLimits;
  #logger: Logger;
  #onChange: (g: Group) => void;

  constructor(
    groupId: string,
    timers: Timers,
    limits: GroupLimits,
    logger: Logger,
    onChange: (g: Group) => void = () => {},
  ) {
    this.groupId = groupId;
    this.#timers = timers;
    this.#limits = limits;
    this.#logger = logger;
    this.#onChange = onChange;
  }

  /** Whether `memberId` is a current member. */
  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  // ---- JoinGroup ------------------------------------------------------------------------

  /** Handles a JoinGroup; resolves when the member's join completes (long poll). */
  join(req: JoinRequest): Promise<JoinResult> {
    if (this.state === "Dead") {
      return Promise.resolve(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE.code));
    }
    if (
      req.sessionTimeoutMs < this.#limits.minSessionTimeoutMs ||
      req.sessionTimeoutMs > this.#limits.maxSessionTimeoutMs
    ) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT.code, req.memberId));
    }
    if (!this.#protocolsCompatible(req)) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL.code, req.memberId));
    }
    if (req.memberId === "") {
      if (req.requireKnownMemberId && req.groupInstanceId === null) {
        const id = `${req.clientId}-${crypto.randomUUID()}`;
        const t = this.#timers.set(() => {
          this.pendingMembers.delete(id);
          this.#maybeCompleteJoin();
        }, req.sessionTimeoutMs);
        this.pendingMembers.set(id, t);
        return Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED.code, id));
      }
      if (req.groupInstanceId !== null) {
        const old = this.staticMemberId(req.groupInstanceId);
        if (old !== undefined) return this.#rejoinStatic(this.members.get(old)!, req);
      }
      return this.#addMemberAndRebalance(`${req.clientId}-${crypto.randomUUID()}`, req);
    }
    const pending = this.pendingMembers.get(req.memberId);
    if (pending !== undefined) {
      this.#timers.clear(pending);
      this.pendingMembers.delete(req.memberId);
      return this.#addMemberAndRebalance(req.memberId, req);
    }
    const invalid = this.validateMember(req.memberId, req.groupInstanceId);
    if (invalid !== 0) return Promise.resolve(joinError(invalid, req.memberId));
    const member = this.members.get(req.memberId)!;
    switch (this.state) {
      case "PreparingRebalance":
        return this.#updateMemberAndRebalance(member, req);
      case "CompletingRebalance":
        if (sameProtocols(member.protocols, req.protocols)) {
          this.#heartbeat(member);
          return Promise.resolve(this.#joinResultFor(member));
        }
        return this.#updateMemberAndRebalance(member, req);
      case "Stable":
        if (member.memberId === this.leaderId || !sameProtocols(member.protocols, req.protocols)) {
          return this.#updateMemberAndRebalance(member, req);
        }
        this.#heartbeat(member);
        return Promise.resolve(this.#joinResultFor(member));
      default:
        return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID.code, req.memberId));
    }
  }

  /** The current member id of a static member (KIP-345), if `instanceId` is one. */
  staticMemberId(instanceId: string): string | undefined {
    return this.#staticMembers.get(instanceId);
  }

  /**
   * Kafka's `validateMember`: with a `group_instance_id`, the instance must be known and mapped
   * to this member id; a request from an older incarnation of a static member gets
   * FENCED_INSTANCE_ID, which clients treat as fatal, so a zombie stops instead of rejoining and
   * fencing its successor in turn. Then the member id must be a current member. 0 when valid.
   */
  validateMember(memberId: string, instanceId: string | null): number {
    if (instanceId !== null) {
      const current = this.#staticMembers.get(instanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID.code;
      if (current !== memberId) {
        this.#logger.info(
          `group ${this.groupId}: member ${memberId} of static instance ${instanceId} is fenced ` +
            `by ${current}`,
        );
        return ErrorCode.FENCED_INSTANCE_ID.code;
      }
    }
    return this.members.has(memberId) ? 0 : ErrorCode.UNKNOWN_MEMBER_ID.code;
  }

  /**
   * KIP-345: a static member that restarts (same `group_instance_id`, empty member id) replaces
   * its old incarnation at once, under a new member id, instead of waiting for the old session
   * to time out; the old member id is fenced. As in Kafka's `updateStaticMemberThenRebalance`:
   * in a Stable group whose selected protocol stays the same, it gets its old assignment back
   * and the other members are not rebalanced (the generation stays). A restarted leader is
   * answered with the old leader id, so it does not assign again, and leads the next
   * rebalance. Otherwise the group rebalances.
   */
  #rejoinStatic(old: Member, req: JoinRequest): Promise<JoinResult> {
    const instanceId = req.groupInstanceId!;
    const member = new Member(
      `${req.clientId}-${crypto.randomUUID()}`,
      instanceId,
      req.clientId,
      req.clientHost,
      req,
    );
    member.assignment = old.assignment;
    const oldLeader = this.leaderId;
    old.joinWaiter?.(joinError(ErrorCode.FENCED_INSTANCE_ID.code, old.memberId));
    old.joinWaiter = null;
    old.syncWaiter?.({ errorCode: ErrorCode.FENCED_INSTANCE_ID.code, assignment: EMPTY });
    old.syncWaiter = null;
    this.#removeMember(old);
    this.#putMember(member);
    if (oldLeader === old.memberId) this.leaderId = member.memberId;
    this.#heartbeat(member);
    if (this.state === "Stable" && this.#selectProtocol() === this.protocolName) {
      this.#logger.info(
        `group ${this.groupId}: static member ${instanceId} rejoined as ${member.memberId}, ` +
          `replacing ${old.memberId}; generation ${this.generationId} kept, no rebalance`,
      );
      this.#onChange(this);
      const res = this.#joinResultFor(member);
      return Promise.resolve({ ...res, leader: oldLeader ?? "", members: [] });
    }
    this.#logger.info(
      `group ${this.groupId}: static member ${instanceId} rejoined as ${member.memberId}, ` +
        `replacing ${old.memberId}`,
    );
    const p = new Promise<JoinResult>((resolve) => member.joinWaiter = resolve);
    if (this.state === "CompletingRebalance" || this.state === "Stable") {
      // The leader may already hold the old member id in its assignment: assign again.
      this.#maybePrepareRebalance(`static member ${instanceId} rejoined`);
    }
    this.#maybeCompleteJoin();
    return p;
  }

  #putMember(m: Member): void {
    this.members.set(m.memberId, m);
    if (m.groupInstanceId !== null) this.#staticMembers.set(m.groupInstanceId, m.memberId);
  }

  #protocolsCompatible(req: JoinRequest): boolean {
    if (req.protocolType === "" || req.protocols.length === 0) return false;
    if (this.members.size === 0) return true;
    if (req.protocolType !== this.protocolType) return false;
    // At least one of the joiner's protocols must be supported by every other member.
    const others = [...this.members.values()].filter((m) => m.memberId !== req.memberId);
    return req.protocols.some((p) => others.every((m) => m.supports(p.name)));
  }

  #addMemberAndRebalance(memberId: string, req: JoinRequest): Promise<JoinResult> {
    const member = new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, req);
    if (this.members.size === 0) this.protocolType = req.protocolType;
    this.#putMember(member);
    this.#logger.info(
      `group ${this.groupId}: member ${memberId} joined from ${req.clientHost} (${this.members.size} members)`,
    );
    const p = new Promise<JoinResult>((resolve) => member.joinWaiter = resolve);
    this.#maybePrepareRebalance(`member ${memberId} joined`);
    this.#maybeCompleteJoin();
    return p;
  }

  #updateMemberAndRebalance(member: Member, req: JoinRequest): Promise<JoinResult> {
    member.protocols = req.protocols;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    // A member that re-sends JoinGroup replaces its previous parked request.
    member.joinWaiter?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS.code, member.memberId));
    const p = new Promise<JoinResult>((resolve) => member.joinWaiter = resolve);
    this.#maybePrepareRebalance(`member ${member.memberId} rejoined`);
    this.#maybeCompleteJoin();
    return p;
  }

  #maybePrepareRebalance(reason: string): void {
    if (this.state === "PreparingRebalance" || this.state === "Dead") return;
    // Parked SyncGroups of the aborted round learn they must rejoin.
    if (this.state === "CompletingRebalance") {
      for (const m of this.members.values()) m.assignment = EMPTY;
    }
    for (const m of this.members.values()) {
      if (m.syncWaiter) {
        m.syncWaiter({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS.code, assignment: EMPTY });
        m.syncWaiter = null;
      }
    }
    this.#clearSyncTimer();
    const initial = this.state === "Empty";
    this.state = "PreparingRebalance";
    this.#logger.info(
      `group ${this.groupId}: preparing rebalance of generation ${this.generationId} (${reason})`,
    );
    const timeout = initial
      ? this.#limits.initialRebalanceDelayMs
      : Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    this.#initialDelay = initial && timeout > 0;
    this.#rebalanceTimer = this.#timers.set(() => {
      this.#rebalanceTimer = null;
      this.#initialDelay = false;
      this.#completeJoin(true);
    }, timeout);
    this.#onChange(this);
  }
  #initialDelay = false;

  #allJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.joinWaiter) return false;
    return true;
  }

  #maybeCompleteJoin(): void {
    if (this.state !== "PreparingRebalance" || this.#initialDelay) return;
    if (this.#allJoined()) this.#completeJoin(false);
  }

  #completeJoin(timedOut: boolean): void {
    if (this.state !== "PreparingRebalance") return;
    if (this.#rebalanceTimer !== null) this.#timers.clear(this.#rebalanceTimer);
    this.#rebalanceTimer = null;
    if (timedOut) {
      for (const m of [...this.members.values()]) {
        if (!m.joinWaiter) {
          this.#logger.info(
            `group ${this.groupId}: member ${m.memberId} did not rejoin within the rebalance timeout, removed`,
          );
          this.#removeMember(m);
        }
      }
    }
    this.generationId++;
    if (this.members.size === 0) {
      this.state = "Empty";
      this.protocolName = null;
      this.leaderId = null;
      this.#logger.info(`group ${this.groupId}: generation ${this.generationId} is empty`);
      this.#onChange(this);
      return;
    }
    this.protocolName = this.#selectProtocol();
    if (this.leaderId === null || !this.members.has(this.leaderId)) {
      this.leaderId = this.members.keys().next().value!;
    }
    this.state = "CompletingRebalance";
    this.#logger.info(
      `group ${this.groupId}: generation ${this.generationId} with ${this.members.size} members, protocol ${this.protocolName}, leader ${this.leaderId}`,
    );
    this.#pendingSync = new Set(this.members.keys());
    for (const m of this.members.values()) {
      const waiter = m.joinWaiter;
      m.joinWaiter = null;
      this.#heartbeat(m);
      waiter?.(this.#joinResultFor(m));
    }
    // Members that got a JoinGroup answer but never SyncGroup are removed (Kafka's pending sync).
    const gen = this.generationId;
    const timeout = Math.max(0, ...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    this.#syncTimer = this.#timers.set(() => {
      this.#syncTimer = null;
      if (this.generationId !== gen || this.#pendingSync.size === 0) return;
      if (this.state !== "CompletingRebalance" && this.state !== "Stable") return;
      const missing = [...this.#pendingSync];
      this.#logger.info(
        `group ${this.groupId}: members ${missing.join(", ")} did not SyncGroup in time, removed`,
      );
      for (const id of missing) {
        const m = this.members.get(id);
        if (m) this.#removeMember(m);
      }
      this.#pendingSync.clear();
      this.#afterMembershipChange("pending sync expired");
    }, timeout);
    this.#onChange(this);
  }

  #selectProtocol(): string {
    const members = [...this.members.values()];
    const candidates = members[0].protocols.map((p) => p.name).filter((name) =>
      members.every((m) => m.supports(name))
    );
    const candidateSet = new Set(candidates);
    const votes = new Map<string, number>();
    for (const m of members) {
      const vote = m.protocols.find((p) => candidateSet.has(p.name))?.name;
      if (vote !== undefined) votes.set(vote, (votes.get(vote) ?? 0) + 1);
    }
    let best = candidates[0];
    for (const c of candidates) if ((votes.get(c) ?? 0) > (votes.get(best) ?? 0)) best = c;
    return best;
  }

  #joinResultFor(m: Member): JoinResult {
    const isLeader = m.memberId === this.leaderId;
    return {
      errorCode: ErrorCode.NONE.code,
      generationId: this.generationId,
      protocolName: this.protocolName ?? "",
      leader: this.leaderId ?? "",
      memberId: m.memberId,
      members: isLeader
        ? [...this.members.values()].map((x) => ({
          memberId: x.memberId,
          groupInstanceId: x.groupInstanceId,
          metadata: x.metadataFor(this.protocolName),
        }))
        : [],
    };
  }

  // ---- SyncGroup ------------------------------------------------------------------------

  /** Handles a SyncGroup; followers wait for the leader's assignment. */
  sync(
    memberId: string,
    generationId: number,
    assignments: { memberId: string; assignment: Uint8Array }[],
    groupInstanceId: string | null = null,
  ): Promise<SyncResult> {
    const fail = (e: { code: number }) => Promise.resolve({ errorCode: e.code, assignment: EMPTY });
    if (this.state === "Dead") return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const invalid = this.validateMember(memberId, groupInstanceId);
    if (invalid !== 0) return fail({ code: invalid });
    const m = this.members.get(memberId)!;
    if (generationId !== this.generationId) return fail(ErrorCode.ILLEGAL_GENERATION);
    switch (this.state) {
      case "Empty":
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      case "PreparingRebalance":
        return fail(ErrorCode.REBALANCE_IN_PROGRESS);
      case "Stable":
        this.#pendingSync.delete(memberId);
        this.#heartbeat(m);
        return Promise.resolve({ errorCode: 0, assignment: m.assignment });
    }
    // CompletingRebalance: park until the leader's assignment arrives.
    this.#pendingSync.delete(memberId);
    this.#heartbeat(m);
    m.syncWaiter?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS.code, assignment: EMPTY });
    const p = new Promise<SyncResult>((resolve) => m.syncWaiter = resolve);
    if (memberId === this.leaderId) {
      const given = new Map(assignments.map((a) => [a.memberId, a.assignment]));
      for (const x of this.members.values()) x.assignment = given.get(x.memberId) ?? EMPTY;
      this.state = "Stable";
      this.#logger.info(`group ${this.groupId}: generation ${this.generationId} is stable`);
      for (const x of this.members.values()) {
        if (x.syncWaiter) {
          x.syncWaiter({ errorCode: 0, assignment: x.assignment });
          x.syncWaiter = null;
        }
      }
      this.#onChange(this);
    }
    return p;
  }

  // ---- Heartbeat, LeaveGroup, session expiry ----------------------------------------------

  /** Handles a Heartbeat; returns the error code. */
  heartbeat(memberId: string, generationId: number, groupInstanceId: string | null = null): number {
    if (this.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE.code;
    const invalid = this.validateMember(memberId, groupInstanceId);
    if (invalid !== 0) return invalid;
    const m = this.members.get(memberId)!;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION.code;
    this.#heartbeat(m);
    return this.state === "PreparingRebalance" ? ErrorCode.REBALANCE_IN_PROGRESS.code : 0;
  }

  #heartbeat(m: Member): void {
    if (m.sessionTimer !== null) this.#timers.clear(m.sessionTimer);
    m.sessionTimer = this.#timers.set(() => this.#expire(m), m.sessionTimeoutMs);
  }

  #expire(m: Member): void {
    m.sessionTimer = null;
    if (this.members.get(m.memberId) !== m) return;
    // A member parked in JoinGroup/SyncGroup is alive: its request is the heartbeat.
    if (m.joinWaiter || m.syncWaiter) {
      this.#heartbeat(m);
      return;
    }
    this.#logger.info(
      `group ${this.groupId}: member ${m.memberId} (${m.clientHost}) session timed out after ${m.sessionTimeoutMs} ms, removed`,
    );
    this.#removeMember(m);
    this.#afterMembershipChange(`member ${m.memberId} session timed out`);
  }

  /**
   * Handles one LeaveGroup member; returns its error code. As in Kafka, an empty member id
   * with a `group_instance_id` removes that static member (an admin removing an instance);
   * with a member id, the instance id is validated like any request's.
   */
  leave(memberId: string, groupInstanceId: string | null = null): number {
    if (this.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE.code;
    if (memberId === "") {
      const current = groupInstanceId === null
        ? undefined
        : this.#staticMembers.get(groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID.code;
      memberId = current;
    }
    const pending = this.pendingMembers.get(memberId);
    if (pending !== undefined) {
      this.#timers.clear(pending);
      this.pendingMembers.delete(memberId);
      this.#maybeCompleteJoin();
      return 0;
    }
    const invalid = this.validateMember(memberId, groupInstanceId);
    if (invalid !== 0) return invalid;
    const m = this.members.get(memberId)!;
    this.#logger.info(`group ${this.groupId}: member ${memberId} left`);
    m.joinWaiter?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID.code, memberId));
    m.joinWaiter = null;
    this.#removeMember(m);
    this.#afterMembershipChange(`member ${memberId} left`);
    return 0;
  }

  #removeMember(m: Member): void {
    if (m.sessionTimer !== null) this.#timers.clear(m.sessionTimer);
    m.sessionTimer = null;
    m.syncWaiter?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID.code, assignment: EMPTY });
    m.syncWaiter = null;
    this.members.delete(m.memberId);
    if (m.groupInstanceId !== null && this.#staticMembers.get(m.groupInstanceId) === m.memberId) {
      this.#staticMembers.delete(m.groupInstanceId);
    }
    this.#pendingSync.delete(m.memberId);
    if (this.leaderId === m.memberId) this.leaderId = null;
  }

  #afterMembershipChange(reason: string): void {
    if (this.state === "Stable" || this.state === "CompletingRebalance") {
      this.#maybePrepareRebalance(reason);
      this.#maybeCompleteJoin();
    } else if (this.state === "PreparingRebalance") {
      this.#maybeCompleteJoin();
    }
    this.#onChange(this);
  }

  #clearSyncTimer(): void {
    if (this.#syncTimer !== null) this.#timers.clear(this.#syncTimer);
    this.#syncTimer = null;
  }

  // ---- Offsets validation, describe, delete ------------------------------------------------

  /**
   * Validates an OffsetCommit or a TxnOffsetCommit against membership (Kafka
   * `validateOffsetCommit`); returns 0 when the commit may proceed. Generation -1 is an admin
   * tool or a manually assigned consumer: accepted while the group is Empty, and for
   * transactional commits, which before KIP-447 carried no member. Anything that names a
   * generation, member or instance must be the current one.
   */
  validateCommit(
    memberId: string,
    groupInstanceId: string | null,
    generationId: number,
    transactional: boolean,
  ): number {
    if (this.state === "Dead") return ErrorCode.COORDINATOR_NOT_AVAILABLE.code;
    if (generationId < 0 && this.state === "Empty") return 0;
    if (generationId >= 0 || memberId !== "" || groupInstanceId !== null) {
      const invalid = this.validateMember(memberId, groupInstanceId);
      if (invalid !== 0) return invalid;
      if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION.code;
    } else if (!transactional) {
      return ErrorCode.UNKNOWN_MEMBER_ID.code;
    }
    if (transactional) return 0;
    if (this.state === "CompletingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS.code;
    const m = this.members.get(memberId);
    if (m) this.#heartbeat(m);
    return 0;
  }

  /** DescribeGroups members: metadata and assignments only once Stable, like Kafka. */
  summary(): MemberSummary[] {
    const stable = this.state === "Stable";
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: stable ? m.metadataFor(this.protocolName) : EMPTY,
      assignment: stable ? m.assignment : EMPTY,
    }));
  }

  /** Marks the group Dead and stops its timers (group deletion, broker close). */
  shutdown(): void {
    for (const m of [...this.members.values()]) {
      m.joinWaiter?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE.code, m.memberId));
      m.joinWaiter = null;
      m.syncWaiter?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE.code, assignment: EMPTY });
      m.syncWaiter = null;
      if (m.sessionTimer !== null) this.#timers.clear(m.sessionTimer);
      m.sessionTimer = null;
    }
    for (const t of this.pendingMembers.values()) this.#timers.clear(t);
    this.pendingMembers.clear();
    if (this.#rebalanceTimer !== null) this.#timers.clear(this.#rebalanceTimer);
    this.#rebalanceTimer = null;
    this.#clearSyncTimer();
    this.state = "Dead";
  }
}
