import { buildBatch } from "../../../lib/kafka/protocol/record_batch.ts";
import { assertResponse, setupProduce, withBroker } from "./_golden.ts";
import { arr, i16, i32, i64, i8, request, str } from "./_wire.ts";

function body(v: number, isolation: number, parts: [number, number][]): number[] {
  return [
    ...i32(-1),
    ...(v >= 2 ? i8(isolation) : []),
    ...arr([[...str("lo"), ...arr(parts.map(([p, ts]) => [...i32(p), ...i64(ts)]))]]),
  ];
}

function response(v: number, parts: [number, number, number, number][]): number[] {
  return [
    ...(v >= 2 ? i32(0) : []),
    ...arr([[
      ...str("lo"),
      ...arr(parts.map(([p, err, ts, off]) => [...i32(p), ...i16(err), ...i64(ts), ...i64(off)])),
    ]]),
  ];
}

Deno.test("ListOffsets v1-v3: latest, earliest, by timestamp, unknown partition", async () => {
  await withBroker(async (c) => {
    // Offsets 0-1 at t=1000/1100, offsets 2-3 at t=2000/2100.
    await setupProduce(
      c,
      "lo",
      0,
      buildBatch([{ value: "a", timestamp: 1000 }, { value: "b", timestamp: 1100 }]),
    );
    await setupProduce(
      c,
      "lo",
      0,
      buildBatch([{ value: "c", timestamp: 2000 }, { value: "d", timestamp: 2100 }]),
    );
    for (let v = 1; v <= 3; v++) {
      for (const isolation of v >= 2 ? [0, 1] : [0]) {
        const parts: [number, number][] = [[0, -1], [0, -2], [0, 1050], [0, 2000], [0, 3000], [
          7,
          -1,
        ]];
        const res = await c.roundTrip(request(2, v, v * 10 + isolation, body(v, isolation, parts)));
        assertResponse(
          res,
          v * 10 + isolation,
          response(v, [
            [0, 0, -1, 4], // latest: HWM (= LSO without open transactions)
            [0, 0, -1, 0], // earliest
            [0, 0, 1100, 1], // first record at or after 1050, inside the first batch
            [0, 0, 2000, 2],
            [0, 0, -1, -1], // nothing that late
            [7, 3, -1, -1],
          ]),
        );
      }
    }
  });
});
