import assert from "node:assert/strict";
import { handlers } from "../../../lib/broker/apis/mod.ts";
import { assertResponse, withBroker } from "./_golden.ts";
import { arr, cstr, i16, i32, request, uvarint } from "./_wire.ts";

/**
 * The version table of issue 2, by API key: what each registered handler must serve.
 * One deliberate deviation: Produce is 0–7, not 3–7, because librdkafka only enables gzip,
 * snappy and lz4 when the broker's Produce range includes v0 (see docs/broker.md).
 */
const TABLE: Record<number, [number, number]> = {
  0: [0, 7],
  1: [4, 11],
  2: [1, 3],
  3: [0, 12],
  8: [2, 8],
  9: [1, 7],
  10: [0, 2],
  11: [0, 5],
  12: [0, 3],
  13: [0, 3],
  14: [0, 3],
  15: [0, 5],
  16: [0, 2],
  18: [0, 3],
  19: [0, 4],
  20: [0, 1],
  21: [0, 1],
  22: [0, 1],
  24: [0, 1],
  25: [0, 1],
  26: [0, 1],
  28: [0, 3],
  32: [0, 2],
  33: [0, 2],
  35: [1, 4],
  37: [0, 1],
  42: [0, 1],
  44: [0, 1],
  47: [0, 0],
};

/** Registered keys: exactly the table, each at its versions. */
function served(): number[] {
  const keys = [...handlers.keys()].sort((a, b) => a - b);
  assert.deepEqual(keys, Object.keys(TABLE).map(Number));
  for (const k of keys) {
    const h = handlers.get(k)!;
    assert.deepEqual([h.minVersion, h.maxVersion], TABLE[k], `versions of ${h.name}`);
  }
  return keys;
}

Deno.test("ApiVersions v0-v2: error, INT32-counted api_keys, throttle from v1", async () => {
  const keys = served();
  const entries = keys.map((k) => [...i16(k), ...i16(TABLE[k][0]), ...i16(TABLE[k][1])]);
  await withBroker(async (c) => {
    for (const v of [0, 1, 2]) {
      const res = await c.roundTrip(request(18, v, 100 + v, []));
      assertResponse(res, 100 + v, [...i16(0), ...arr(entries), ...(v >= 1 ? i32(0) : [])]);
    }
  });
});

Deno.test("ApiVersions v3: flexible body, compact array with tags, header v0", async () => {
  const keys = served();
  const entries = keys.flatMap((k) => [...i16(k), ...i16(TABLE[k][0]), ...i16(TABLE[k][1]), 0]);
  await withBroker(async (c) => {
    const body = [...cstr("librdkafka"), ...cstr("2.0.2"), 0];
    const res = await c.roundTrip(request(18, 3, 7, body, { flexible: true }));
    // No tag byte after the correlation id: ApiVersions responses keep header v0 (KIP-511).
    assertResponse(res, 7, [...i16(0), ...uvarint(keys.length + 1), ...entries, ...i32(0), 0]);
  });
});

Deno.test("ApiVersions v3 with an invalid client software name answers INVALID_REQUEST", async () => {
  await withBroker(async (c) => {
    const body = [...cstr("bad name!"), ...cstr("1.0"), 0];
    const res = await c.roundTrip(request(18, 3, 8, body, { flexible: true }));
    assertResponse(res, 8, [...i16(42), ...uvarint(1), ...i32(0), 0]);
    // The connection stays usable: librdkafka retries with v0 on the same socket.
    assert.equal((await c.roundTrip(request(18, 0, 9, []))).length > 6, true);
  });
});

Deno.test("ApiVersions v4 (newer than served) gets the v0-layout UNSUPPORTED_VERSION fallback", async () => {
  await withBroker(async (c) => {
    // The body of an unknown version is not parsed: garbage must not matter.
    const res = await c.roundTrip(request(18, 4, 11, [0xde, 0xad], { flexible: true }));
    assertResponse(res, 11, [...i16(35), ...arr([[...i16(18), ...i16(0), ...i16(3)]])]);
    // And the connection is still open for the retry.
    const again = await c.roundTrip(request(18, 0, 12, []));
    assert.equal(new DataView(again.buffer).getInt32(0), 12);
  });
});
