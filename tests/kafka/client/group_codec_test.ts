import assert from "node:assert/strict";
import { ErrorCode } from "../../../lib/kafka/protocol/errors.ts";
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  GroupApi,
  readErrorCode,
  readFindCoordinator,
  readJoinGroup,
  readLeaveGroup,
  readSyncGroup,
  writeFindCoordinator,
  writeHeartbeat,
  writeJoinGroup,
  writeLeaveGroup,
  writeSyncGroup,
} from "../../../lib/kafka/client/_group_codec.ts";
import { arr, bytes, i16, i32, i8, str } from "../../broker/apis/_wire.ts";
import { withBroker } from "../../broker/apis/_golden.ts";
import { assertBody, roundTrip } from "./_golden.ts";

const SUBSCRIPTION = [...i16(0), ...arr([str("t")]), ...bytes([0x75])];
const ASSIGNMENT = [...i16(0), ...arr([[...str("t"), ...arr([i32(0), i32(1)])]]), ...i32(-1)];

Deno.test("consumer protocol: subscription and assignment v0 bytes, both ways", () => {
  const sub = encodeSubscription(["t"], new Uint8Array([0x75]));
  assert.deepEqual([...sub], SUBSCRIPTION);
  assert.deepEqual(decodeSubscription(sub), { topics: ["t"], userData: new Uint8Array([0x75]) });
  const a = encodeAssignment(new Map([["t", [0, 1]]]));
  assert.deepEqual([...a], ASSIGNMENT);
  assert.deepEqual(decodeAssignment(a), new Map([["t", [0, 1]]]));
  assert.deepEqual(decodeAssignment(new Uint8Array(0)), new Map());
});

Deno.test("group requests: golden bytes of FindCoordinator v2, JoinGroup v5, SyncGroup v3, Heartbeat v3, LeaveGroup v3, and the broker's answers", async () => {
  await withBroker(async (c) => {
    const { findCoordinator: fc, joinGroup: jg, syncGroup: sg, heartbeat: hb, leaveGroup: lg } =
      GroupApi;
    const find = assertBody((w) => writeFindCoordinator(w, "g", 0), [...str("g"), ...i8(0)]);
    const coord = readFindCoordinator(await roundTrip(c, fc.key, fc.version, find));
    assert.equal(coord.errorCode, 0);
    assert.equal(coord.host, "127.0.0.1");

    const join = assertBody(
      (w) =>
        writeJoinGroup(w, {
          groupId: "g",
          sessionTimeoutMs: 30000,
          rebalanceTimeoutMs: 60000,
          memberId: "",
          groupInstanceId: "i-0",
          protocols: [{ name: "rr", metadata: new Uint8Array(SUBSCRIPTION) }],
        }),
      [
        ...str("g"),
        ...i32(30000),
        ...i32(60000),
        ...str(""),
        ...str("i-0"),
        ...str("consumer"),
        ...arr([[...str("rr"), ...bytes(SUBSCRIPTION)]]),
      ],
    );
    // A static member gets its member id at once (no MEMBER_ID_REQUIRED round, KIP-345).
    const joined = readJoinGroup(await roundTrip(c, jg.key, jg.version, join));
    assert.equal(joined.errorCode, 0);
    assert.equal(joined.leader, joined.memberId);
    assert.equal(joined.protocolName, "rr");
    assert.deepEqual(joined.members.map((m) => [m.groupInstanceId, [...m.metadata]]), [
      ["i-0", SUBSCRIPTION],
    ]);
    const me = joined.memberId;
    const gen = joined.generationId;

    const sync = assertBody(
      (w) =>
        writeSyncGroup(w, {
          groupId: "g",
          generationId: gen,
          memberId: me,
          groupInstanceId: "i-0",
          assignments: [{ memberId: me, assignment: new Uint8Array(ASSIGNMENT) }],
        }),
      [
        ...str("g"),
        ...i32(gen),
        ...str(me),
        ...str("i-0"),
        ...arr([[...str(me), ...bytes(ASSIGNMENT)]]),
      ],
    );
    const synced = readSyncGroup(await roundTrip(c, sg.key, sg.version, sync));
    assert.equal(synced.errorCode, 0);
    assert.deepEqual([...synced.assignment], ASSIGNMENT);

    const beat = assertBody(
      (w) =>
        writeHeartbeat(w, {
          groupId: "g",
          generationId: gen,
          memberId: me,
          groupInstanceId: "i-0",
        }),
      [...str("g"), ...i32(gen), ...str(me), ...str("i-0")],
    );
    assert.equal(readErrorCode(await roundTrip(c, hb.key, hb.version, beat)), 0);
    // Another incarnation's instance id is fenced.
    const other = assertBody(
      (w) =>
        writeHeartbeat(w, {
          groupId: "g",
          generationId: gen,
          memberId: "x",
          groupInstanceId: "i-0",
        }),
      [...str("g"), ...i32(gen), ...str("x"), ...str("i-0")],
    );
    assert.notEqual(readErrorCode(await roundTrip(c, hb.key, hb.version, other)), 0);

    const leave = assertBody(
      (w) => writeLeaveGroup(w, "g", [{ memberId: me, groupInstanceId: "i-0" }]),
      [...str("g"), ...arr([[...str(me), ...str("i-0")]])],
    );
    const left = readLeaveGroup(await roundTrip(c, lg.key, lg.version, leave));
    assert.equal(left.errorCode, 0);
    assert.deepEqual(left.members, [{ memberId: me, errorCode: 0 }]);
    const gone = readErrorCode(await roundTrip(c, hb.key, hb.version, beat));
    assert.equal(gone, ErrorCode.UNKNOWN_MEMBER_ID.code);
  });
});
