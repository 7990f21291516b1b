import { assertResponse, withBroker } from "./_golden.ts";
import { initTxn } from "./_txn.ts";
import { i16, i32, i64, request, str } from "./_wire.ts";

const body = (txnId: string, pid: number, epoch: number, group: string) => [
  ...str(txnId),
  ...i64(pid),
  ...i16(epoch),
  ...str(group),
];

Deno.test("AddOffsetsToTxn v0-v1: added, wrong producer id, fenced epoch", async () => {
  await withBroker(async (c) => {
    const { pid, epoch } = await initTxn(c, "tx");
    for (let v = 0; v <= 1; v++) {
      let res = await c.roundTrip(request(25, v, 10 + v, body("tx", pid, epoch, "g")));
      assertResponse(res, 10 + v, [...i32(0), ...i16(0)]);
      res = await c.roundTrip(request(25, v, 20 + v, body("tx", pid + 1, epoch, "g")));
      assertResponse(res, 20 + v, [...i32(0), ...i16(49)]);
      res = await c.roundTrip(request(25, v, 30 + v, body("tx", pid, epoch - 1, "g")));
      assertResponse(res, 30 + v, [...i32(0), ...i16(47)]);
    }
  });
});
