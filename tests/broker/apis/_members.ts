/**
 * Group members with real consumer-protocol subscriptions, optionally static (JoinGroup v5),
 * for the OffsetDelete and DescribeGroups golden tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { joinMemberId } from "./_groups.ts";
import { arr, bytes, i16, i32, request, str, type WireClient } from "./_wire.ts";

/** ConsumerProtocolSubscription v0: the topics a member consumes. */
export function subscription(topics: string[]): number[] {
  return [...i16(0), ...arr(topics.map(str)), ...bytes(null)];
}

/**
 * Joins `group` (JoinGroup v5, optionally static) as its only member with `metadata`, and
 * syncs; returns the member id.
 */
export async function joinStable(
  c: WireClient,
  group: string,
  metadata: number[],
  opts: { instanceId?: string; protocolType?: string } = {},
): Promise<string> {
  const body = (member: string) => [
    ...str(group),
    ...i32(10_000),
    ...i32(15_000),
    ...str(member),
    ...str(opts.instanceId ?? null),
    ...str(opts.protocolType ?? "consumer"),
    ...arr([[...str("range"), ...bytes(metadata)]]),
  ];
  let res = await c.roundTrip(request(11, 5, 900, body("")));
  let id = joinMemberId(5, res);
  if (new DataView(res.buffer, res.byteOffset).getInt16(8) !== 0) {
    res = await c.roundTrip(request(11, 5, 901, body(id))); // MEMBER_ID_REQUIRED
    id = joinMemberId(5, res);
  }
  const view = new DataView(res.buffer, res.byteOffset);
  assert.equal(view.getInt16(8), 0, "join succeeded");
  res = await c.roundTrip(request(14, 3, 902, [
    ...str(group),
    ...i32(view.getInt32(10)),
    ...str(id),
    ...str(opts.instanceId ?? null),
    ...arr([[...str(id), ...bytes([7])]]),
  ]));
  assert.equal(new DataView(res.buffer, res.byteOffset).getInt16(8), 0, "sync succeeded");
  return id;
}
