import { assertResponse, withBroker } from "./_golden.ts";
import { initTxn } from "./_txn.ts";
import { arr, i16, i32, i64, request, str } from "./_wire.ts";

const commit = (txnId: string, group: string, pid: number, epoch: number, offset = 11) => [
  ...str(txnId),
  ...str(group),
  ...i64(pid),
  ...i16(epoch),
  ...arr([[...str("in"), ...arr([[...i32(0), ...i64(offset), ...str("m")]])]]),
];
const answer = (code: number) => [
  ...i32(0),
  ...arr([[...str("in"), ...arr([[...i32(0), ...i16(code)]])]]),
];
const fetchBody = [...str("g"), ...arr([[...str("in"), ...arr([i32(0)])]])];

Deno.test("TxnOffsetCommit v0-v1: staged, invisible until EndTxn commit", async () => {
  await withBroker(async (c) => {
    const { pid, epoch } = await initTxn(c, "tx");
    for (let v = 0; v <= 1; v++) {
      // Without AddOffsetsToTxn for the group, the transaction cannot commit its offsets.
      let res = await c.roundTrip(request(28, v, 10 + v, commit("tx", "g", pid, epoch)));
      assertResponse(res, 10 + v, answer(48));
      await c.roundTrip(request(25, 1, 1, [...str("tx"), ...i64(pid), ...i16(epoch), ...str("g")]));
      res = await c.roundTrip(request(28, v, 20 + v, commit("tx", "g", pid, epoch, 11 + v)));
      assertResponse(res, 20 + v, answer(0));
      res = await c.roundTrip(request(28, v, 30 + v, commit("tx", "g", pid, epoch + 1)));
      assertResponse(res, 30 + v, answer(47));
      res = await c.roundTrip(request(9, 1, 40 + v, fetchBody));
      assertResponse(res, 40 + v, [
        ...arr([[
          ...str("in"),
          ...arr([[...i32(0), ...i64(v === 0 ? -1 : 11), ...str(v === 0 ? "" : "m"), ...i16(0)]]),
        ]]),
      ]);
      const end = [...str("tx"), ...i64(pid), ...i16(epoch), 1];
      assertResponse(await c.roundTrip(request(26, 1, 50 + v, end)), 50 + v, [
        ...i32(0),
        ...i16(0),
      ]);
      res = await c.roundTrip(request(9, 1, 60 + v, fetchBody));
      assertResponse(res, 60 + v, [
        ...arr([[...str("in"), ...arr([[...i32(0), ...i64(11 + v), ...str("m"), ...i16(0)]])]]),
      ]);
    }
  });
});
