import { assertResponse, withBroker } from "./_golden.ts";
import { initTxn } from "./_txn.ts";
import { arr, i16, i32, i64, request, str } from "./_wire.ts";

function add(txnId: string, pid: number, epoch: number, topics: [string, number[]][]) {
  return [
    ...str(txnId),
    ...i64(pid),
    ...i16(epoch),
    ...arr(topics.map(([t, ps]) => [...str(t), ...arr(ps.map((p) => i32(p)))])),
  ];
}
function result(topics: [string, [number, number][]][]) {
  return [
    ...i32(0),
    ...arr(
      topics.map(([t, ps]) => [...str(t), ...arr(ps.map(([p, e]) => [...i32(p), ...i16(e)]))]),
    ),
  ];
}

Deno.test("AddPartitionsToTxn v0-v1: added, unknown partition, fenced epoch, wrong id", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(3, 1, 1, arr([str("apt")])));
    const { pid, epoch } = await initTxn(c, "tx");
    for (let v = 0; v <= 1; v++) {
      let res = await c.roundTrip(request(24, v, 10 + v, add("tx", pid, epoch, [["apt", [0, 1]]])));
      assertResponse(res, 10 + v, result([["apt", [[0, 0], [1, 0]]]]));
      res = await c.roundTrip(
        request(24, v, 20 + v, add("tx", pid, epoch, [["apt", [0, 7]], ["nope", [0]]])),
      );
      assertResponse(res, 20 + v, result([["apt", [[0, 55], [7, 3]]], ["nope", [[0, 3]]]]));
      res = await c.roundTrip(request(24, v, 30 + v, add("tx", pid, epoch + 1, [["apt", [0]]])));
      assertResponse(res, 30 + v, result([["apt", [[0, 47]]]]));
      res = await c.roundTrip(request(24, v, 40 + v, add("other", pid, epoch, [["apt", [0]]])));
      assertResponse(res, 40 + v, result([["apt", [[0, 49]]]]));
    }
  }, { defaultPartitions: 2 });
});
