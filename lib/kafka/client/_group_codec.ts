/**
 * Request and response codecs of the consumer group protocol, at the versions the client
 * sends: FindCoordinator v2, JoinGroup v5, SyncGroup v3, Heartbeat v3, LeaveGroup v3 (all
 * carry `group_instance_id`, KIP-345 static membership), and the consumer protocol's member
 * metadata and assignment (version 0, as kafkajs' round-robin sends them).
 *
 * @module
 */

import { Reader, Writer } from "../protocol/codec.ts";

/** API keys and the versions sent. */
export const GroupApi = Object.freeze({
  findCoordinator: { key: 10, version: 2 },
  joinGroup: { key: 11, version: 5 },
  heartbeat: { key: 12, version: 3 },
  leaveGroup: { key: 13, version: 3 },
  syncGroup: { key: 14, version: 3 },
});

/** FindCoordinator key types. */
export const CoordinatorType = Object.freeze({ group: 0, transaction: 1 });

export function writeFindCoordinator(w: Writer, key: string, keyType: number): void {
  w.string(key).int8(keyType);
}

export interface FindCoordinatorResponse {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function readFindCoordinator(r: Reader): FindCoordinatorResponse {
  r.int32(); // throttle
  return {
    errorCode: r.int16(),
    errorMessage: r.nullableString(),
    nodeId: r.int32(),
    host: r.string(),
    port: r.int32(),
  };
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** "" on the first join (the broker answers MEMBER_ID_REQUIRED with one). */
  memberId: string;
  groupInstanceId: string | null;
  protocols: { name: string; metadata: Uint8Array }[];
}

export function writeJoinGroup(w: Writer, req: JoinGroupRequest): void {
  w.string(req.groupId).int32(req.sessionTimeoutMs).int32(req.rebalanceTimeoutMs);
  w.string(req.memberId).nullableString(req.groupInstanceId).string("consumer");
  w.array(req.protocols, (w, p) => w.string(p.name).bytes(p.metadata));
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Uint8Array;
}

export interface JoinGroupResponse {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

export function readJoinGroup(r: Reader): JoinGroupResponse {
  r.int32(); // throttle
  return {
    errorCode: r.int16(),
    generationId: r.int32(),
    protocolName: r.string(),
    leader: r.string(),
    memberId: r.string(),
    members: r.array((r) => ({
      memberId: r.string(),
      groupInstanceId: r.nullableString(),
      metadata: r.bytes(),
    })),
  };
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** The leader's assignments; empty for followers. */
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export function writeSyncGroup(w: Writer, req: SyncGroupRequest): void {
  w.string(req.groupId).int32(req.generationId).string(req.memberId);
  w.nullableString(req.groupInstanceId);
  w.array(req.assignments, (w, a) => w.string(a.memberId).bytes(a.assignment));
}

export function readSyncGroup(r: Reader): { errorCode: number; assignment: Uint8Array } {
  r.int32(); // throttle
  return { errorCode: r.int16(), assignment: r.bytes() };
}

export interface MemberIdentity {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export function writeHeartbeat(w: Writer, m: MemberIdentity): void {
  w.string(m.groupId).int32(m.generationId).string(m.memberId).nullableString(m.groupInstanceId);
}

/** Heartbeat and other responses that are a throttle time and an error code. */
export function readErrorCode(r: Reader): number {
  r.int32(); // throttle
  return r.int16();
}

export function writeLeaveGroup(
  w: Writer,
  groupId: string,
  members: { memberId: string; groupInstanceId: string | null }[],
): void {
  w.string(groupId);
  w.array(members, (w, m) => w.string(m.memberId).nullableString(m.groupInstanceId));
}

export function readLeaveGroup(
  r: Reader,
): { errorCode: number; members: { memberId: string; errorCode: number }[] } {
  r.int32(); // throttle
  const errorCode = r.int16();
  const members = r.array((r) => {
    const memberId = r.string();
    r.nullableString(); // group_instance_id
    return { memberId, errorCode: r.int16() };
  });
  return { errorCode, members };
}

// ---- consumer protocol (the bytes inside JoinGroup/SyncGroup) ------------------------------

/** ConsumerProtocolSubscription v0: the topics a member subscribes to, and its user data. */
export function encodeSubscription(topics: string[], userData: Uint8Array | null): Uint8Array {
  const w = new Writer(64);
  w.int16(0).array(topics, (w, t) => w.string(t)).nullableBytes(userData);
  return w.finish().slice();
}

export function decodeSubscription(
  bytes: Uint8Array,
): { topics: string[]; userData: Uint8Array | null } {
  const r = new Reader(bytes);
  r.int16(); // version (later versions only add fields after these)
  const topics = r.array((r) => r.string());
  const userData = r.remaining >= 4 ? r.nullableBytes() : null;
  return { topics, userData };
}

/** ConsumerProtocolAssignment v0: topic → partitions. */
export function encodeAssignment(assignment: Map<string, number[]>): Uint8Array {
  const w = new Writer(64);
  w.int16(0);
  w.array([...assignment], (w, [topic, parts]) => {
    w.string(topic).array(parts, (w, p) => w.int32(p));
  });
  w.nullableBytes(null);
  return w.finish().slice();
}

export function decodeAssignment(bytes: Uint8Array): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (bytes.length === 0) return out; // no partitions (more members than partitions)
  const r = new Reader(bytes);
  r.int16(); // version
  for (const [topic, parts] of r.array((r) => [r.string(), r.array((r) => r.int32())] as const)) {
    out.set(topic, parts);
  }
  return out;
}
