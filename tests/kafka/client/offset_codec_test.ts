import assert from "node:assert/strict";
import {
  OffsetApi,
  readListOffsets,
  readOffsetCommit,
  readOffsetFetch,
  writeListOffsets,
  writeOffsetCommit,
  writeOffsetFetch,
} from "../../../lib/kafka/client/_offset_codec.ts";
import { buildBatch } from "../../../lib/kafka/protocol/record_batch.ts";
import { arr, cstr, i32, i64, i8, str } from "../../broker/apis/_wire.ts";
import { cscalars, TAGS } from "../../broker/apis/_flex.ts";
import { setupProduce, withBroker } from "../../broker/apis/_golden.ts";
import { createTopic } from "../../broker/apis/_configs.ts";
import { assertBody, roundTrip } from "./_golden.ts";

Deno.test("offset requests: golden bytes of OffsetCommit v7, OffsetFetch v7 (flexible, require_stable), ListOffsets v2, and the broker's answers", async () => {
  await withBroker(async (c) => {
    await createTopic(c, "t");
    await setupProduce(c, "t", 0, buildBatch([{ value: "a" }, { value: "b" }, { value: "c" }]));
    const { offsetCommit: oc, offsetFetch: of, listOffsets: lo } = OffsetApi;

    const list = assertBody(
      (w) =>
        writeListOffsets(w, 1, [{
          topic: "t",
          partitions: [{ partition: 0, timestamp: -2 }, { partition: 0, timestamp: -1 }],
        }]),
      [
        ...i32(-1),
        ...i8(1),
        ...arr([[...str("t"), ...arr([[...i32(0), ...i64(-2)], [...i32(0), ...i64(-1)]])]]),
      ],
    );
    const listed = readListOffsets(await roundTrip(c, lo.key, lo.version, list));
    assert.deepEqual(listed.map((p) => [p.errorCode, p.offset]), [[0, 0], [0, 3]]);

    // A simple (generation -1, no member) commit, as admin tools do: the group is empty.
    const commit = assertBody(
      (w) =>
        writeOffsetCommit(w, {
          groupId: "g",
          generationId: -1,
          memberId: "",
          groupInstanceId: null,
          topics: [{ topic: "t", partitions: [{ partition: 0, offset: 2, leaderEpoch: 0 }] }],
        }),
      [
        ...str("g"),
        ...i32(-1),
        ...str(""),
        ...str(null),
        ...arr([[...str("t"), ...arr([[...i32(0), ...i64(2), ...i32(0), ...str(null)]])]]),
      ],
    );
    assert.deepEqual(readOffsetCommit(await roundTrip(c, oc.key, oc.version, commit)), [
      { topic: "t", partition: 0, errorCode: 0 },
    ]);

    const fetch = assertBody(
      (w) => writeOffsetFetch(w, "g", [{ topic: "t", partitions: [0] }], true),
      [
        ...cstr("g"),
        ...[2, ...cstr("t"), ...cscalars([i32(0)]), ...TAGS],
        1,
        ...TAGS,
      ],
      true,
    );
    const fetched = readOffsetFetch(await roundTrip(c, of.key, of.version, fetch, true));
    assert.equal(fetched.errorCode, 0);
    assert.deepEqual(fetched.offsets, [
      { topic: "t", partition: 0, offset: 2, leaderEpoch: 0, errorCode: 0 },
    ]);
  });
});
