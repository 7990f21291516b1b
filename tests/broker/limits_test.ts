/**
 * Resource limits (issue 10, item 3): one client cannot take the memory or the connections
 * the others need.
 */
import assert from "node:assert/strict";
import { ByteBudget, resolveLimits } from "../../lib/broker/limits.ts";
import { buildBatch } from "../../lib/kafka/protocol/record_batch.ts";
import { setupProduce, withBroker } from "./apis/_golden.ts";
import { arr, i32, i64, i8, request, str, WireClient } from "./apis/_wire.ts";

const apiVersions = (corr: number) => request(18, 0, corr, []);

/** Whether `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((r) => timer = setTimeout(() => r(false), ms));
  const done = await Promise.race([p.then(() => true, () => true), timeout]);
  clearTimeout(timer);
  return done;
}

Deno.test("limits: budgets follow the memory target; bad values are named", () => {
  const l = resolveLimits({ memoryLimitBytes: 64 * 1024 * 1024 });
  assert.equal(l.queuedMaxRequestBytes, 16 * 1024 * 1024);
  assert.equal(l.fetchMaxBytesTotal, 16 * 1024 * 1024);
  assert.equal(l.fetchMaxBytes, 16 * 1024 * 1024);
  assert.equal(resolveLimits().memoryLimitBytes, 512 * 1024 * 1024);
  assert.throws(() => resolveLimits({ maxConnections: 0 }), /maxConnections must be a positive/);
});

Deno.test("byte budget: first come first served, an oversized take goes alone, abort leaves the queue", async () => {
  const b = new ByteBudget(100);
  await b.take(60);
  const order: string[] = [];
  const big = b.take(200).then(() => order.push("big"));
  const ac = new AbortController();
  const aborted = b.take(10, ac.signal).catch(() => order.push("aborted"));
  ac.abort();
  await aborted;
  assert.equal(b.tryTake(10), false, "nobody jumps the queue");
  b.release(60);
  await big;
  assert.equal(b.used, 200);
  b.release(200);
  assert.deepEqual(order, ["aborted", "big"]);
  assert.equal(b.used, 0);
});

Deno.test("connection limit: connections past it are closed at once, the others keep working", async () => {
  await withBroker(async (c, b) => {
    await c.roundTrip(apiVersions(1));
    const second = await WireClient.connect(b.port);
    await second.roundTrip(apiVersions(2));
    const third = await WireClient.connect(b.port);
    await third.send(apiVersions(3)).catch(() => {});
    assert.equal(await third.receive(), null, "the third connection is refused");
    third.close();
    await c.roundTrip(apiVersions(4));
    second.close();
    assert.ok(b.logs.some((l) => l.includes("connection limit 2 reached")));
  }, { limits: { maxConnections: 2 } });
});

Deno.test("idle timeout: a silent connection is closed, a busy one stays", async () => {
  await withBroker(async (busy, b) => {
    const silent = await WireClient.connect(b.port);
    // A frame that never completes is not activity either.
    await silent.send(new Uint8Array([0, 0, 0, 100, 0, 18]));
    const closed = silent.receive();
    for (let i = 0; i < 30; i++) {
      await busy.roundTrip(apiVersions(i));
      await new Promise((r) => setTimeout(r, 50));
      if (await settlesWithin(closed, 0)) break;
    }
    assert.ok(await settlesWithin(closed, 2000), "the silent connection was closed");
    assert.equal(await closed, null);
    await busy.roundTrip(apiVersions(99));
    silent.close();
    assert.ok(b.logs.some((l) => l.includes("idle for more than 400 ms")), b.logs.join("\n"));
  }, { limits: { idleTimeoutMs: 400 } });
});

Deno.test("request budget: a stalled large frame makes other large frames wait, small ones pass", async () => {
  const big = (corr: number) =>
    // Metadata v1 for 1,000 unknown 200-character topics: a ~200 KiB frame.
    request(3, 1, corr, arr(Array.from({ length: 1000 }, (_, i) => str(`${i}`.padEnd(200, "x")))));
  await withBroker(async (c, b) => {
    const stalled = await WireClient.connect(b.port);
    const frame = big(1);
    await stalled.send(frame.subarray(0, frame.length - 10)); // takes 200 of the 300 KiB
    const other = await WireClient.connect(b.port);
    const answered = other.roundTrip(big(2));
    assert.equal(await settlesWithin(answered, 300), false, "the second large frame waits");
    await c.roundTrip(apiVersions(3)); // a small request is not held up
    stalled.close(); // frees the stalled frame's bytes
    assert.ok(await settlesWithin(answered, 5000), "answered once the stalled frame is gone");
    assert.ok((await answered).length > 1000);
    other.close();
  }, { limits: { queuedMaxRequestBytes: 300 * 1024 }, autoCreateTopics: false });
});

Deno.test("fetch: max_bytes is capped by fetchMaxBytes", async () => {
  await withBroker(async (c) => {
    const value = "v".repeat(60 * 1024);
    for (let i = 0; i < 5; i++) await setupProduce(c, "big", 0, buildBatch([{ key: "k", value }]));
    const res = await c.roundTrip(request(1, 4, 7, [
      ...i32(-1),
      ...i32(0),
      ...i32(1),
      ...i32(0x7fffffff), // max_bytes 2 GiB
      ...i8(0),
      ...arr([[...str("big"), ...arr([[...i32(0), ...i64(0), ...i32(0x7fffffff)]])]]),
    ]));
    // One 60 KiB batch fits the 100 KiB cap; a second would not.
    assert.ok(res.length > 60 * 1024 && res.length < 100 * 1024, `response of ${res.length} bytes`);
  }, { limits: { fetchMaxBytes: 100 * 1024 } });
});

Deno.test("fetch streaming: clients that never read pin a chunk each, not their responses; another is served in full", async () => {
  const MiB = 1024 * 1024;
  const fetch = (corr: number) =>
    request(1, 4, corr, [
      ...i32(-1),
      ...i32(0),
      ...i32(1),
      ...i32(0x7fffffff), // max_bytes 2 GiB
      ...i8(0),
      ...arr([[...str("big"), ...arr([[...i32(0), ...i64(0), ...i32(0x7fffffff)]])]]),
    ]);
  await withBroker(async (c, b) => {
    const value = "v".repeat(MiB - 200);
    for (let i = 0; i < 48; i++) await setupProduce(c, "big", 0, buildBatch([{ key: "k", value }]));
    const before = Deno.memoryUsage().rss;
    const stuck: WireClient[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const s = await WireClient.connect(b.port);
        stuck.push(s);
        await s.send(fetch(i));
        // The frame size is the first thing written: the response is under way, and large.
        // The third and fourth find the budget (two chunks) taken and still start at once.
        const head = s.receiveBytes(4);
        assert.ok(await settlesWithin(head, 20_000), `response ${i} started`);
        const size = new DataView((await head)!.buffer).getInt32(0);
        assert.ok(size > 40 * MiB, `a response of ${size} bytes`);
      }
      // Let the broker fill the socket buffers as far as they go.
      await new Promise((r) => setTimeout(r, 300));
      const grown = Deno.memoryUsage().rss - before;
      console.log(
        `RSS growth with 4 clients not reading 48 MiB responses: ${(grown / MiB).toFixed(1)} MiB`,
      );
      // Built whole, the four responses were 192 MiB; streamed, each pins one chunk.
      assert.ok(grown < 48 * MiB, `RSS grew by ${(grown / MiB).toFixed(1)} MiB`);
      // A client that reads gets its whole response, not held up by the four.
      const other = await WireClient.connect(b.port);
      stuck.push(other);
      const full = other.roundTrip(fetch(9));
      assert.ok(await settlesWithin(full, 20_000), "a client that reads is not held up");
      assert.ok((await full).length > 40 * MiB, `${(await full).length} bytes`);
    } finally {
      for (const s of stuck) s.close();
    }
  }, { limits: { fetchMaxBytesTotal: 512 * 1024, fetchMaxBytes: 64 * MiB } });
});
