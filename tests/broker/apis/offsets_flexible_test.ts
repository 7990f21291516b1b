// Golden bytes of the offset APIs' newer versions (issue 9, item 3): OffsetCommit v6–8 and
// TxnOffsetCommit v2–3 carry the committed leader epoch, OffsetFetch v5–7 returns it (it was
// dropped and read back as -1), v6+/v8/v3 are flexible (KIP-482: compact strings and arrays,
// tagged-field sections), OffsetFetch v7's require_stable answers UNSTABLE_OFFSET_COMMIT while
// a transaction holds pending offsets, and TxnOffsetCommit v3 checks generation and member.
import { assertResponse, withBroker } from "./_golden.ts";
import { stableMember } from "./_groups.ts";
import { initTxn } from "./_txn.ts";
import { arr, cstr, i16, i32, i64, request, str, uvarint } from "./_wire.ts";

/** Compact array of encoded items. */
const carr = (items: number[][]) => [...uvarint(items.length + 1), ...items.flat()];
/** Compact nullable string. */
const cnstr = (s: string | null) => s === null ? [0] : cstr(s);
const TAGS = [0];

Deno.test("OffsetCommit v6-v7 and OffsetFetch v5: the committed leader epoch reads back", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(3, 1, 1, arr([str("le-topic")])));
    for (const v of [6, 7]) {
      const res = await c.roundTrip(
        request(8, v, 10 + v, [
          ...str("g"),
          ...i32(-1),
          ...str(""),
          ...(v >= 7 ? str(null) : []), // group_instance_id
          ...arr([[
            ...str("le-topic"),
            ...arr([[...i32(v - 6), ...i64(100 + v), ...i32(v - 1), ...str("m")]]),
          ]]),
        ]),
      );
      assertResponse(res, 10 + v, [
        ...i32(0),
        ...arr([[...str("le-topic"), ...arr([[...i32(v - 6), ...i16(0)]])]]),
      ]);
    }
    const ask = arr([[...str("le-topic"), ...arr([i32(0), i32(1), i32(2)])]]);
    const res = await c.roundTrip(request(9, 5, 20, [...str("g"), ...ask]));
    assertResponse(res, 20, [
      ...i32(0),
      ...arr([[
        ...str("le-topic"),
        ...arr([
          [...i32(0), ...i64(106), ...i32(5), ...str("m"), ...i16(0)],
          [...i32(1), ...i64(107), ...i32(6), ...str("m"), ...i16(0)],
          [...i32(2), ...i64(-1), ...i32(-1), ...str(""), ...i16(0)],
        ]),
      ]]),
      ...i16(0),
    ]);
  }, { defaultPartitions: 3 });
});

Deno.test("OffsetCommit v8 and OffsetFetch v6 (flexible): compact fields, tags", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(3, 1, 1, arr([str("fx")])));
    const commit = [
      ...cstr("g"),
      ...i32(-1),
      ...cstr(""),
      ...cnstr(null),
      ...carr([[
        ...cstr("fx"),
        ...carr([[...i32(0), ...i64(9), ...i32(3), ...cnstr("m"), ...TAGS]]),
        ...TAGS,
      ]]),
      ...TAGS,
    ];
    let res = await c.roundTrip(request(8, 8, 2, commit, { flexible: true }));
    assertResponse(res, 2, [
      ...i32(0),
      ...carr([[...cstr("fx"), ...carr([[...i32(0), ...i16(0), ...TAGS]]), ...TAGS]]),
      ...TAGS,
    ], TAGS);
    const fetch = [...cstr("g"), ...carr([[...cstr("fx"), ...carr([i32(0)]), ...TAGS]]), ...TAGS];
    res = await c.roundTrip(request(9, 6, 3, fetch, { flexible: true }));
    assertResponse(res, 3, [
      ...i32(0),
      ...carr([[
        ...cstr("fx"),
        ...carr([[...i32(0), ...i64(9), ...i32(3), ...cnstr("m"), ...i16(0), ...TAGS]]),
        ...TAGS,
      ]]),
      ...i16(0),
      ...TAGS,
    ], TAGS);
    // A null topic list (all partitions) in compact form: length 0.
    res = await c.roundTrip(request(9, 6, 4, [...cstr("g"), 0, ...TAGS], { flexible: true }));
    assertResponse(res, 4, [
      ...i32(0),
      ...carr([[
        ...cstr("fx"),
        ...carr([[...i32(0), ...i64(9), ...i32(3), ...cnstr("m"), ...i16(0), ...TAGS]]),
        ...TAGS,
      ]]),
      ...i16(0),
      ...TAGS,
    ], TAGS);
  });
});

Deno.test("TxnOffsetCommit v2-v3 and OffsetFetch v7 require_stable: pending offsets are unstable", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(3, 1, 1, arr([str("in")])));
    const { pid, epoch } = await initTxn(c, "tx");
    await c.roundTrip(request(25, 1, 2, [...str("tx"), ...i64(pid), ...i16(epoch), ...str("g")]));
    // v2: the leader epoch is staged with the offset.
    let res = await c.roundTrip(
      request(28, 2, 3, [
        ...str("tx"),
        ...str("g"),
        ...i64(pid),
        ...i16(epoch),
        ...arr([[...str("in"), ...arr([[...i32(0), ...i64(11), ...i32(4), ...str("m")]])]]),
      ]),
    );
    assertResponse(res, 3, [...i32(0), ...arr([[...str("in"), ...arr([[...i32(0), ...i16(0)]])]])]);
    const fetch = (stable: boolean) => [
      ...cstr("g"),
      ...carr([[...cstr("in"), ...carr([i32(0)]), ...TAGS]]),
      stable ? 1 : 0,
      ...TAGS,
    ];
    const answer = (offset: number, le: number, meta: string, code: number) => [
      ...i32(0),
      ...carr([[
        ...cstr("in"),
        ...carr([[...i32(0), ...i64(offset), ...i32(le), ...cnstr(meta), ...i16(code), ...TAGS]]),
        ...TAGS,
      ]]),
      ...i16(0),
      ...TAGS,
    ];
    // Pending: require_stable gets UNSTABLE_OFFSET_COMMIT (88); without it, the old commit (none).
    res = await c.roundTrip(request(9, 7, 4, fetch(true), { flexible: true }));
    assertResponse(res, 4, answer(-1, -1, "", 88), TAGS);
    res = await c.roundTrip(request(9, 7, 5, fetch(false), { flexible: true }));
    assertResponse(res, 5, answer(-1, -1, "", 0), TAGS);
    // v3 (flexible): a member unknown to the group is refused (KIP-447); none given is accepted.
    // (Generation -1 with a member id is accepted while the group is Empty, as in Kafka.)
    const v3 = (generation: number, member: string, offset: number) => [
      ...cstr("tx"),
      ...cstr("g"),
      ...i64(pid),
      ...i16(epoch),
      ...i32(generation),
      ...cstr(member),
      ...cnstr(null),
      ...carr([[
        ...cstr("in"),
        ...carr([[...i32(0), ...i64(offset), ...i32(4), ...cnstr("m"), ...TAGS]]),
        ...TAGS,
      ]]),
      ...TAGS,
    ];
    const v3answer = (code: number) => [
      ...i32(0),
      ...carr([[...cstr("in"), ...carr([[...i32(0), ...i16(code), ...TAGS]]), ...TAGS]]),
      ...TAGS,
    ];
    res = await c.roundTrip(request(28, 3, 6, v3(5, "gone-member", 12), { flexible: true }));
    assertResponse(res, 6, v3answer(25), TAGS); // UNKNOWN_MEMBER_ID
    // A member of generation 1 commits; once a rebalance moved the group on, it cannot.
    const member = await stableMember(c, "g");
    res = await c.roundTrip(request(28, 3, 7, v3(1, member, 12), { flexible: true }));
    assertResponse(res, 7, v3answer(0), TAGS);
    res = await c.roundTrip(request(28, 3, 8, v3(0, member, 12), { flexible: true }));
    assertResponse(res, 8, v3answer(22), TAGS); // ILLEGAL_GENERATION
    res = await c.roundTrip(request(28, 3, 9, v3(-1, "", 12), { flexible: true }));
    assertResponse(res, 9, v3answer(0), TAGS); // no consumer metadata: accepted, as v0-2
    assertResponse(
      await c.roundTrip(request(26, 1, 10, [...str("tx"), ...i64(pid), ...i16(epoch), 1])),
      10,
      [...i32(0), ...i16(0)],
    );
    // Committed: stable now, with its leader epoch.
    res = await c.roundTrip(request(9, 7, 11, fetch(true), { flexible: true }));
    assertResponse(res, 11, answer(12, 4, "m", 0), TAGS);
  });
});
