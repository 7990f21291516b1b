// Golden bytes for the body of every request version the producer, transactions and admin
// send (the header and the connection's own requests: connection_test.ts; Metadata and
// FindCoordinator: cluster_test.ts). Expected bytes are built with tests/broker/apis/_wire.ts,
// not with the codec under test.
import assert from "node:assert/strict";
import { Writer } from "../../../lib/kafka/protocol/codec.ts";
import { encodeProduceRequest, PRODUCE } from "../../../lib/kafka/client/apis/00_produce.ts";
import {
  encodeListOffsetsRequest,
  LIST_OFFSETS,
} from "../../../lib/kafka/client/apis/02_list_offsets.ts";
import {
  CREATE_TOPICS,
  encodeCreateTopicsRequest,
} from "../../../lib/kafka/client/apis/19_create_topics.ts";
import {
  DELETE_TOPICS,
  encodeDeleteTopicsRequest,
} from "../../../lib/kafka/client/apis/20_delete_topics.ts";
import {
  encodeInitProducerIdRequest,
  INIT_PRODUCER_ID,
} from "../../../lib/kafka/client/apis/22_init_producer_id.ts";
import {
  ADD_PARTITIONS_TO_TXN,
  encodeAddPartitionsToTxnRequest,
} from "../../../lib/kafka/client/apis/24_add_partitions_to_txn.ts";
import {
  ADD_OFFSETS_TO_TXN,
  encodeAddOffsetsToTxnRequest,
} from "../../../lib/kafka/client/apis/25_add_offsets_to_txn.ts";
import { encodeEndTxnRequest, END_TXN } from "../../../lib/kafka/client/apis/26_end_txn.ts";
import {
  encodeTxnOffsetCommitRequest,
  TXN_OFFSET_COMMIT,
} from "../../../lib/kafka/client/apis/28_txn_offset_commit.ts";
import {
  arr,
  bool,
  bytes,
  cstr,
  i16,
  i32,
  i64,
  i8,
  str,
  uvarint,
} from "../../broker/apis/_wire.ts";

function encoded(fn: (w: Writer) => void, flexible = false): number[] {
  const w = new Writer(8, flexible);
  fn(w);
  return [...w.finish()];
}

Deno.test("the versions sent", () => {
  assert.deepEqual(
    [
      PRODUCE,
      LIST_OFFSETS,
      CREATE_TOPICS,
      DELETE_TOPICS,
      INIT_PRODUCER_ID,
      ADD_PARTITIONS_TO_TXN,
      ADD_OFFSETS_TO_TXN,
      END_TXN,
    ]
      .map((a) => [a.key, a.version]),
    [[0, 7], [2, 2], [19, 3], [20, 1], [22, 1], [24, 1], [25, 1], [26, 1]],
  );
  assert.deepEqual([TXN_OFFSET_COMMIT.minVersion, TXN_OFFSET_COMMIT.maxVersion], [0, 3]);
});

Deno.test("Produce v7 request body", () => {
  const b1 = new Uint8Array([1, 2, 3]), b2 = new Uint8Array([4]);
  assert.deepEqual(
    encoded((w) =>
      encodeProduceRequest(w, "tx", -1, 30000, [
        { topic: "a", partitions: [{ partition: 0, batch: b1 }, { partition: 2, batch: b2 }] },
        { topic: "b", partitions: [{ partition: 1, batch: b2 }] },
      ])
    ),
    [
      ...str("tx"),
      ...i16(-1),
      ...i32(30000),
      ...arr([
        [...str("a"), ...arr([[...i32(0), ...bytes(b1)], [...i32(2), ...bytes(b2)]])],
        [...str("b"), ...arr([[...i32(1), ...bytes(b2)]])],
      ]),
    ],
  );
  // Not transactional, acks 1.
  assert.deepEqual(
    encoded((w) => encodeProduceRequest(w, null, 1, 500, [])),
    [...str(null), ...i16(1), ...i32(500), ...i32(0)],
  );
});

Deno.test("InitProducerId v1 request body", () => {
  assert.deepEqual(encoded((w) => encodeInitProducerIdRequest(w, "tx", 60000)), [
    ...str("tx"),
    ...i32(60000),
  ]);
  assert.deepEqual(encoded((w) => encodeInitProducerIdRequest(w, null, 0)), [
    ...str(null),
    ...i32(0),
  ]);
});

Deno.test("AddPartitionsToTxn v1, AddOffsetsToTxn v1, EndTxn v1 request bodies", () => {
  assert.deepEqual(
    encoded((w) =>
      encodeAddPartitionsToTxnRequest(w, "tx", 7, 3, new Map([["a", [0, 2]], ["b", [1]]]))
    ),
    [
      ...str("tx"),
      ...i64(7),
      ...i16(3),
      ...arr([[...str("a"), ...arr([i32(0), i32(2)])], [...str("b"), ...arr([i32(1)])]]),
    ],
  );
  assert.deepEqual(encoded((w) => encodeAddOffsetsToTxnRequest(w, "tx", 7, 3, "g")), [
    ...str("tx"),
    ...i64(7),
    ...i16(3),
    ...str("g"),
  ]);
  assert.deepEqual(encoded((w) => encodeEndTxnRequest(w, "tx", 7, 3, true)), [
    ...str("tx"),
    ...i64(7),
    ...i16(3),
    ...bool(true),
  ]);
  assert.deepEqual(encoded((w) => encodeEndTxnRequest(w, "tx", 7, 3, false)).at(-1), 0);
});

const GROUP = { groupId: "g", generationId: 4, memberId: "m-1", groupInstanceId: "app-0" };
const OFFSETS = [
  { topic: "in", partition: 0, offset: 10, leaderEpoch: 2 },
  { topic: "in", partition: 1, offset: 20 },
];

Deno.test("TxnOffsetCommit v0 and v1 request bodies (no leader epoch, no group metadata)", () => {
  for (const v of [0, 1]) {
    assert.deepEqual(
      encoded((w) => encodeTxnOffsetCommitRequest(w, v, "tx", 7, 3, GROUP, OFFSETS)),
      [
        ...str("tx"),
        ...str("g"),
        ...i64(7),
        ...i16(3),
        ...arr([[
          ...str("in"),
          ...arr([[...i32(0), ...i64(10), ...str(null)], [...i32(1), ...i64(20), ...str(null)]]),
        ]]),
      ],
    );
  }
});

Deno.test("TxnOffsetCommit v2 request body (committed leader epoch)", () => {
  assert.deepEqual(
    encoded((w) => encodeTxnOffsetCommitRequest(w, 2, "tx", 7, 3, GROUP, OFFSETS)),
    [
      ...str("tx"),
      ...str("g"),
      ...i64(7),
      ...i16(3),
      ...arr([[
        ...str("in"),
        ...arr([
          [...i32(0), ...i64(10), ...i32(2), ...str(null)],
          [...i32(1), ...i64(20), ...i32(-1), ...str(null)],
        ]),
      ]]),
    ],
  );
});

Deno.test("TxnOffsetCommit v3 request body (flexible, KIP-447 group metadata)", () => {
  assert.deepEqual(
    encoded((w) => encodeTxnOffsetCommitRequest(w, 3, "tx", 7, 3, GROUP, OFFSETS), true),
    [
      ...cstr("tx"),
      ...cstr("g"),
      ...i64(7),
      ...i16(3),
      ...i32(4),
      ...cstr("m-1"),
      ...cstr("app-0"),
      ...uvarint(2), // one topic
      ...cstr("in"),
      ...uvarint(3), // two partitions
      ...i32(0),
      ...i64(10),
      ...i32(2),
      0, // null metadata
      0, // tags
      ...i32(1),
      ...i64(20),
      ...i32(-1),
      0,
      0,
      0, // topic tags
      0, // request tags
    ],
  );
  // No group instance id: a compact null.
  const noInstance = encoded(
    (w) => encodeTxnOffsetCommitRequest(w, 3, "tx", 7, 3, { ...GROUP, groupInstanceId: null }, []),
    true,
  );
  assert.deepEqual(noInstance, [
    ...cstr("tx"),
    ...cstr("g"),
    ...i64(7),
    ...i16(3),
    ...i32(4),
    ...cstr("m-1"),
    0,
    1, // no topics
    0,
  ]);
});

Deno.test("ListOffsets v2 request body", () => {
  assert.deepEqual(
    encoded((w) => encodeListOffsetsRequest(w, true, new Map([["t", [[0, -1], [1, -2]]]]))),
    [
      ...i32(-1),
      ...i8(1),
      ...arr([[...str("t"), ...arr([[...i32(0), ...i64(-1)], [...i32(1), ...i64(-2)]])]]),
    ],
  );
  assert.deepEqual(
    encoded((w) => encodeListOffsetsRequest(w, false, new Map([["t", [[3, 1700000000000]]]]))),
    [...i32(-1), ...i8(0), ...arr([[...str("t"), ...arr([[...i32(3), ...i64(1700000000000)]])]])],
  );
});

Deno.test("CreateTopics v3 and DeleteTopics v1 request bodies", () => {
  assert.deepEqual(
    encoded((w) =>
      encodeCreateTopicsRequest(
        w,
        [
          {
            name: "t",
            partitions: 3,
            replicationFactor: 1,
            configs: { "cleanup.policy": "compact" },
          },
          { name: "u" },
        ],
        5000,
        false,
      )
    ),
    [
      ...arr([
        [
          ...str("t"),
          ...i32(3),
          ...i16(1),
          ...arr([]),
          ...arr([[...str("cleanup.policy"), ...str("compact")]]),
        ],
        [...str("u"), ...i32(-1), ...i16(-1), ...arr([]), ...arr([])],
      ]),
      ...i32(5000),
      ...bool(false),
    ],
  );
  assert.deepEqual(encoded((w) => encodeDeleteTopicsRequest(w, ["a", "b"], 100)), [
    ...arr([str("a"), str("b")]),
    ...i32(100),
  ]);
});
