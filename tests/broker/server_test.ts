import assert from "node:assert/strict";
import { buildBatch } from "../../lib/kafka/protocol/record_batch.ts";
import { DataDirLockedError } from "../../lib/broker/mod.ts";
import { startTestBroker } from "./_harness.ts";
import { setupProduce, withBroker } from "./apis/_golden.ts";
import { arr, i16, i32, i64, i8, request, str, WireClient } from "./apis/_wire.ts";

/** Waits until a log line matches, so assertions do not race the connection's close. */
async function logged(logs: string[], re: RegExp, ms = 3000): Promise<string> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const line = logs.find((l) => re.test(l));
    if (line) return line;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line matching ${re}:\n${logs.join("\n")}`);
}

const corrOf = (res: Uint8Array) => new DataView(res.buffer, res.byteOffset).getInt32(0);
const apiVersions = (corr: number) => request(18, 0, corr, []);

Deno.test("a frame over 100 MiB closes the connection with a log line", async () => {
  await withBroker(async (c, b) => {
    const n = 100 * 1024 * 1024 + 1;
    await c.send(new Uint8Array(i32(n)));
    assert.equal(await c.receive(), null);
    const line = await logged(b.logs, /exceeds the 104857600-byte limit/);
    assert.match(line, /WARN .*closing connection from 127\.0\.0\.1:\d+: frame of 104857601 bytes/);
  });
});

Deno.test("unknown API key and unsupported version close the connection", async () => {
  await withBroker(async (_c, b) => {
    for (
      const [frame, re] of [
        [request(999, 0, 1, []), /unknown API key 999/],
        [
          request(3, 13, 2, []),
          /unsupported version 13 of Metadata \(serves 0-12, correlation 2\)/,
        ],
        [request(0, 8, 3, []), /unsupported version 8 of Produce \(serves 0-7/],
      ] as const
    ) {
      const c = await WireClient.connect(b.port);
      await c.send(frame);
      assert.equal(await c.receive(), null);
      c.close();
      await logged(b.logs, re);
    }
  });
});

Deno.test("bad header, truncated body and truncated frame close only that connection", async () => {
  await withBroker(async (good, b) => {
    const cases: [Uint8Array, RegExp][] = [
      // 3-byte frame: not even api_key + api_version + correlation_id.
      [new Uint8Array([0, 0, 0, 3, 0, 3, 0]), /bad request header/],
      // client_id length beyond the frame.
      [new Uint8Array([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0, 50]), /bad request header/],
      // Metadata v1 announcing 5 topics with no bytes for them.
      [
        request(3, 1, 4, i32(5)),
        /Metadata v1 \(correlation 4\): array count 5 exceeds 0 bytes left/,
      ],
      // Produce whose record set length runs past the frame.
      [
        request(0, 7, 5, [
          ...str(null),
          ...i16(1),
          ...i32(1),
          ...arr([[...str("t"), ...arr([[...i32(0), ...i32(1000)]])]]),
        ]),
        /Produce v7 \(correlation 5\): truncated bytes/,
      ],
      // Frame cut short by the client closing: logged as a protocol error too.
      [new Uint8Array([0, 0, 1, 0, 0, 18]), /connection closed inside a frame/],
    ];
    for (const [bytes, re] of cases) {
      const c = await WireClient.connect(b.port);
      await c.send(bytes);
      if (bytes.length === 6) {
        // Half-close: the broker sees end of stream inside the frame.
        await c.conn.closeWrite();
      }
      assert.equal(await c.receive(), null, String(re));
      c.close();
      const line = await logged(b.logs, re);
      assert.match(line, /127\.0\.0\.1:\d+/);
      // The well-behaved connection keeps working after each bad one.
      assert.equal(corrOf(await good.roundTrip(apiVersions(77))), 77);
    }
  });
});

Deno.test("pipelined requests are answered in order, even behind a parked fetch", async () => {
  await withBroker(async (c) => {
    // kafka-python's probe: ApiVersions v0 then Metadata v0 without waiting.
    const fetch = request(1, 11, 3, [
      ...i32(-1),
      ...i32(300),
      ...i32(1),
      ...i32(1 << 20),
      ...i8(0),
      ...i32(0),
      ...i32(-1),
      ...arr([[
        ...str("pipe"),
        ...arr([[...i32(0), ...i32(-1), ...i64(0), ...i64(-1), ...i32(1 << 20)]]),
      ]]),
      ...arr([]),
      ...str(""),
    ]);
    const all = [
      apiVersions(1),
      request(3, 0, 2, arr([str("pipe")])),
      fetch,
      apiVersions(4),
      request(3, 1, 5, arr(null)),
    ];
    await c.send(new Uint8Array(all.flatMap((f) => [...f])));
    const t0 = Date.now();
    const order: number[] = [];
    for (let i = 0; i < all.length; i++) order.push(corrOf((await c.receive())!));
    assert.deepEqual(order, [1, 2, 3, 4, 5]);
    // The fetch (empty topic, min_bytes 1) waited its max_wait_ms before answering.
    assert.ok(Date.now() - t0 >= 250, `answered after ${Date.now() - t0} ms`);
  });
});

Deno.test("closing the broker ends every connection", async () => {
  let client: WireClient | undefined;
  await withBroker(async (c, b) => {
    client = await WireClient.connect(b.port);
    assert.equal(corrOf(await client.roundTrip(apiVersions(1))), 1);
    assert.equal(corrOf(await c.roundTrip(apiVersions(2))), 2);
  });
  assert.equal(await client!.receive(), null);
  client!.close();
});

Deno.test("responses to requests before a bad one are delivered before the close", async () => {
  await withBroker(async (c) => {
    // A response big enough to need several socket writes, then a request that closes.
    const value = new Uint8Array(900_000).fill(7);
    await setupProduce(c, "big", 0, buildBatch([{ value }], { baseTimestamp: 1 }));
    const fetch = request(1, 4, 2, [
      ...i32(-1),
      ...i32(0),
      ...i32(1),
      ...i32(8 << 20),
      ...i8(0),
      ...arr([[...str("big"), ...arr([[...i32(0), ...i64(0), ...i32(8 << 20)]])]]),
    ]);
    // Several large responses queue up while the client is not reading yet.
    const frames = [apiVersions(1), fetch, fetch, fetch, fetch, fetch, request(999, 0, 3, [])];
    await c.send(new Uint8Array(frames.flatMap((f) => [...f])));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(corrOf((await c.receive())!), 1);
    for (let i = 0; i < 5; i++) {
      const big = await c.receive();
      assert.ok(big !== null, `fetch response ${i} was cut off by the close`);
      assert.equal(corrOf(big), 2);
      assert.ok(big.length > 900_000, `fetch response of ${big.length} bytes`);
    }
    assert.equal(await c.receive(), null);
  });
});

Deno.test("a second broker on the same data dir is refused until the first stops", async () => {
  const first = await startTestBroker();
  try {
    await assert.rejects(
      () => startTestBroker({ dataDir: first.dataDir }),
      (e: unknown) => e instanceof DataDirLockedError && e.dataDir === first.dataDir,
    );
    // The refused start did not disturb the running broker.
    const c = await WireClient.connect(first.port);
    assert.equal(corrOf(await c.roundTrip(apiVersions(1))), 1);
    c.close();
  } finally {
    await first.broker.close();
  }
  const again = await startTestBroker({ dataDir: first.dataDir });
  await again.close();
  await Deno.remove(first.dataDir, { recursive: true });
});
