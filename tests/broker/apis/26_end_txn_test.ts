import assert from "node:assert/strict";
import { assertResponse, withBroker } from "./_golden.ts";
import { initTxn, produceTxn } from "./_txn.ts";
import { arr, i16, i32, i64, request, str } from "./_wire.ts";

const end = (pid: number, epoch: number, commit: boolean) => [
  ...str("tx"),
  ...i64(pid),
  ...i16(epoch),
  commit ? 1 : 0,
];

Deno.test("EndTxn v0-v1: commit and abort write markers; retries, wrong state, fencing", async () => {
  await withBroker(async (c) => {
    const { pid, epoch } = await initTxn(c, "tx");
    assertResponse(await c.roundTrip(request(26, 0, 1, end(pid, epoch, true))), 1, [
      ...i32(0),
      ...i16(48),
    ]);
    for (let v = 0; v <= 1; v++) {
      const topic = `et-${v}`;
      await c.roundTrip(request(3, 1, 2, arr([str(topic)])));
      // Producing before AddPartitionsToTxn is refused.
      assert.equal(await produceTxn(c, "tx", pid, epoch, topic), 48);
      await c.roundTrip(
        request(24, 1, 3, [
          ...str("tx"),
          ...i64(pid),
          ...i16(epoch),
          ...arr([[...str(topic), ...arr([i32(0)])]]),
        ]),
      );
      assert.equal(await produceTxn(c, "tx", pid, epoch + 1, topic), 48, "not this epoch's txn");
      assert.equal(await produceTxn(c, "tx", pid, epoch, topic), 0);
      const commit = v === 0;
      let res = await c.roundTrip(request(26, v, 10 + v, end(pid, epoch, commit)));
      assertResponse(res, 10 + v, [...i32(0), ...i16(0)]);
      // The marker took offset 1: the log end is 2.
      res = await c.roundTrip(
        request(2, 1, 20 + v, [
          ...i32(-1),
          ...arr([[...str(topic), ...arr([[...i32(0), ...i64(-1)]])]]),
        ]),
      );
      assertResponse(res, 20 + v, [
        ...arr([[...str(topic), ...arr([[...i32(0), ...i16(0), ...i64(-1), ...i64(2)]])]]),
      ]);
      res = await c.roundTrip(request(26, v, 30 + v, end(pid, epoch, commit)));
      assertResponse(res, 30 + v, [...i32(0), ...i16(0)]);
      res = await c.roundTrip(request(26, v, 40 + v, end(pid, epoch, !commit)));
      assertResponse(res, 40 + v, [...i32(0), ...i16(48)]);
      res = await c.roundTrip(request(26, v, 50 + v, end(pid, epoch + 3, commit)));
      assertResponse(res, 50 + v, [...i32(0), ...i16(47)]);
    }
    // Fenced by a new InitProducerId: the old epoch's produce is INVALID_PRODUCER_EPOCH (47),
    // checked before whether the partition is in a transaction (it is not: that was 48).
    const again = await initTxn(c, "tx");
    assert.equal(again.epoch, epoch + 1);
    assert.equal(await produceTxn(c, "tx", pid, epoch, "et-0"), 47, "fenced epoch");
  });
});
