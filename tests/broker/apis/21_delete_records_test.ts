import { buildBatch } from "../../../lib/kafka/protocol/record_batch.ts";
import { assertResponse, setupProduce, withBroker } from "./_golden.ts";
import { arr, i16, i32, i64, request, str } from "./_wire.ts";

Deno.test("DeleteRecords v0-v1: low watermark moves, -1 means HWM, errors per partition", async () => {
  await withBroker(async (c) => {
    for (let i = 0; i < 3; i++) await setupProduce(c, "dr", 0, buildBatch([{ value: `v${i}` }]));
    const req = (v: number, corr: number, parts: [number, number][]) =>
      request(21, v, corr, [
        ...arr([[...str("dr"), ...arr(parts.map(([p, o]) => [...i32(p), ...i64(o)]))]]),
        ...i32(1000),
      ]);
    const resp = (parts: [number, number, number][]) => [
      ...i32(0),
      ...arr([[
        ...str("dr"),
        ...arr(parts.map(([p, low, err]) => [...i32(p), ...i64(low), ...i16(err)])),
      ]]),
    ];
    let res = await c.roundTrip(req(0, 1, [[0, 1], [4, 0]]));
    assertResponse(res, 1, resp([[0, 1, 0], [4, -1, 3]]));
    // Beyond the high watermark: OFFSET_OUT_OF_RANGE.
    res = await c.roundTrip(req(1, 2, [[0, 10]]));
    assertResponse(res, 2, resp([[0, -1, 1]]));
    res = await c.roundTrip(req(1, 3, [[0, -1]]));
    assertResponse(res, 3, resp([[0, 3, 0]]));
  });
});
