/**
 * What the group coordinator's requests carry and answer, decoded: JoinGroup, SyncGroup and
 * DescribeGroups, plus the limits every group shares.
 *
 * @module
 */

/** The five states of a classic group. */
export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** One protocol a member supports, e.g. `{ name: "range", metadata }`. */
export interface GroupProtocol {
  name: string;
  metadata: Uint8Array;
}

/** What JoinGroup carries, decoded. */
export interface JoinRequest {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  /** JoinGroup v4+: an empty member id gets MEMBER_ID_REQUIRED and a generated id. */
  requireKnownMemberId: boolean;
}

/** A member as listed to the leader in its JoinGroup response. */
export interface JoinMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

/** The JoinGroup response fields. */
export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: JoinMember[];
}

/** The SyncGroup response fields. */
export interface SyncResult {
  errorCode: number;
  assignment: Uint8Array;
}

/** A member in a DescribeGroups answer. */
export interface MemberSummary {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  metadata: Uint8Array;
  assignment: Uint8Array;
}

/** Timing limits shared by every group. */
export interface GroupLimits {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** Delay before completing the first rebalance of an Empty group (Kafka default 3000). */
  initialRebalanceDelayMs: number;
}

/** A JoinGroup answer carrying only an error (and the member id the caller sent). */
export function joinError(errorCode: number, memberId = ""): JoinResult {
  return { errorCode, generationId: -1, protocolName: "", leader: "", memberId, members: [] };
}
