/**
 * Byte builders and tiny parsers shared by the group and transaction golden tests
 * (08–16, 22–28, 42). Independent of lib/kafka/protocol/codec.ts on purpose.
 *
 * @module
 */
import assert from "node:assert/strict";
import { arr, bytes, i32, request, str, type WireClient } from "./_wire.ts";

/** Consumer-protocol metadata used by every test member (opaque to the broker). */
export const META = [0, 1, 2, 3];

/** A JoinGroup request body at version `v` with one "range" protocol. */
export function joinBody(
  v: number,
  group: string,
  memberId: string,
  opts: { session?: number; protocolType?: string; protocols?: string[] } = {},
): number[] {
  const session = opts.session ?? 10_000;
  return [
    ...str(group),
    ...i32(session),
    ...(v >= 1 ? i32(15_000) : []),
    ...str(memberId),
    ...(v >= 5 ? str(null) : []),
    ...str(opts.protocolType ?? "consumer"),
    ...arr((opts.protocols ?? ["range"]).map((p) => [...str(p), ...bytes(META)])),
  ];
}

/** Reads the member id out of a JoinGroup response payload (correlation id first). */
export function joinMemberId(v: number, payload: Uint8Array): string {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let at = 4 + (v >= 2 ? 4 : 0) + 2 + 4;
  const skip = () => {
    const n = view.getInt16(at);
    at += 2;
    const s = new TextDecoder().decode(payload.subarray(at, at + n));
    at += n;
    return s;
  };
  skip(); // protocol
  skip(); // leader
  return skip();
}

/** Joins `group` as its only member (handling MEMBER_ID_REQUIRED) and syncs; returns the id. */
export async function stableMember(
  c: WireClient,
  group: string,
  assignment: number[] = [9, 9],
): Promise<string> {
  let res = await c.roundTrip(request(11, 5, 900, joinBody(5, group, "")));
  const id = joinMemberId(5, res);
  res = await c.roundTrip(request(11, 5, 901, joinBody(5, group, id)));
  assert.equal(new DataView(res.buffer, res.byteOffset).getInt16(8), 0, "join succeeded");
  const gen = new DataView(res.buffer, res.byteOffset).getInt32(10);
  res = await c.roundTrip(
    request(14, 3, 902, [
      ...str(group),
      ...i32(gen),
      ...str(id),
      ...str(null),
      ...arr([[...str(id), ...bytes(assignment)]]),
    ]),
  );
  assert.equal(new DataView(res.buffer, res.byteOffset).getInt16(8), 0, "sync succeeded");
  return id;
}
