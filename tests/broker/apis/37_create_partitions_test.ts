import { assertResponse, withBroker } from "./_golden.ts";
import { arr, bool, i16, i32, request, str } from "./_wire.ts";

Deno.test("CreatePartitions v0-v1: grow, validate-only, shrink and unknown errors", async () => {
  await withBroker(async (c) => {
    await c.roundTrip(request(3, 4, 1, [...arr([str("cp")]), ...bool(true)]));
    const req = (
      v: number,
      corr: number,
      topics: [string, number, number[][] | null][],
      validateOnly = false,
    ) =>
      request(37, v, corr, [
        ...arr(topics.map(([n, count, asg]) => [
          ...str(n),
          ...i32(count),
          ...arr(asg ? asg.map((ids) => arr(ids.map(i32))) : null),
        ])),
        ...i32(1000),
        ...bool(validateOnly),
      ]);
    const resp = (results: [string, number, string | null][]) => [
      ...i32(0),
      ...arr(results.map(([n, err, msg]) => [...str(n), ...i16(err), ...str(msg)])),
    ];
    // Validate-only first: nothing changes, so growing to 3 still works afterwards.
    let res = await c.roundTrip(req(0, 2, [["cp", 3, null]], true));
    assertResponse(res, 2, resp([["cp", 0, null]]));
    res = await c.roundTrip(req(1, 3, [["cp", 3, [[1], [1]]], ["nope", 2, null]]));
    assertResponse(res, 3, resp([["cp", 0, null], ["nope", 3, "topic nope does not exist"]]));
    res = await c.roundTrip(req(1, 4, [["cp", 4, [[2]]]]));
    assertResponse(res, 4, resp([["cp", 38, "new partitions must be assigned to broker 1 only"]]));
    res = await c.roundTrip(req(1, 5, [["cp", 5, [[1]]]]));
    assertResponse(res, 5, resp([["cp", 42, "1 assignments given for 2 new partitions"]]));
    res = await c.roundTrip(req(0, 6, [["cp", 2, null]]));
    assertResponse(
      res,
      6,
      resp([[
        "cp",
        37,
        "INVALID_PARTITIONS: topic cp has 3 partition(s); new total 2 must be larger (max 10000)",
      ]]),
    );
  });
});
