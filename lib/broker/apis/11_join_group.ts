/**
 * JoinGroup (key 11), v0–5: joins a consumer group; a long poll that answers when the
 * rebalance completes (every known member rejoined, or the rebalance timeout passed).
 *
 * v4+: a first join with an empty member id gets MEMBER_ID_REQUIRED and a generated id.
 * v0 has no rebalance timeout: the session timeout is used, as Kafka does.
 * More than {@link MAX_PROTOCOLS_PER_MEMBER} protocols get INVALID_REQUEST: real clients send
 * one to three assignors, and a hostile list must not make the join costly for the group.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { JoinResult } from "../groups/group.ts";
import type { ApiHandler } from "./_types.ts";

/** Protocols (assignors) one member may offer. */
export const MAX_PROTOCOLS_PER_MEMBER = 64;

/** "/host" from "host:port", the form Kafka reports as a member's client host. */
export function clientHost(address: string): string {
  const i = address.lastIndexOf(":");
  return "/" + (i > 0 ? address.slice(0, i) : address);
}

/** The JoinGroup handler. */
export const handler: ApiHandler = {
  key: 11,
  name: "JoinGroup",
  minVersion: 0,
  maxVersion: 5,
  async handle(body, ctx) {
    const v = ctx.header.apiVersion;
    const groupId = body.string();
    const sessionTimeoutMs = body.int32();
    const rebalanceTimeoutMs = v >= 1 ? body.int32() : sessionTimeoutMs;
    const memberId = body.string();
    const groupInstanceId = v >= 5 ? body.nullableString() : null;
    const protocolType = body.string();
    // Copies: the request buffer is not ours to keep.
    const protocols = body.array((r) => ({ name: r.string(), metadata: r.bytes().slice() }));
    const res: JoinResult = protocols.length > MAX_PROTOCOLS_PER_MEMBER
      ? {
        errorCode: ErrorCode.INVALID_REQUEST.code,
        generationId: -1,
        protocolName: "",
        leader: "",
        memberId,
        members: [],
      }
      : await ctx.broker.groups.join({
        groupId,
        memberId,
        groupInstanceId,
        clientId: ctx.header.clientId ?? "",
        clientHost: clientHost(ctx.clientAddress),
        sessionTimeoutMs,
        rebalanceTimeoutMs,
        protocolType,
        protocols,
        requireKnownMemberId: v >= 4,
      }, ctx.broker.closing);
    const w = new Writer(128);
    if (v >= 2) w.int32(0); // throttle_time_ms
    w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leader)
      .string(res.memberId);
    w.array(res.members, (w, m) => {
      w.string(m.memberId);
      if (v >= 5) w.nullableString(m.groupInstanceId);
      w.bytes(m.metadata);
    });
    return w.finish();
  },
};
