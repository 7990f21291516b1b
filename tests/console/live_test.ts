import assert from "node:assert/strict";
import { api, withConsole } from "./_console.ts";
import { FRAME_MAX, sample } from "../../lib/console/live.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";

Deno.test("live tail sample: evenly spaced, all when few", () => {
  assert.deepEqual(sample([1, 2, 3], 5), [1, 2, 3]);
  assert.deepEqual(sample([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 5), [0, 2, 4, 6, 8]);
});

type Frame = { type: string; messages: unknown[]; skipped: number; total: number };

Deno.test("live tail: a burst is sampled to at most FRAME_MAX a frame, with a count of the rest; pause keeps the position", async () => {
  await withConsole(async (c, address) => {
    const ws = new WebSocket(`ws://127.0.0.1:${c.port}/api/topics/empty/live`);
    const frames: Frame[] = [];
    let wake = () => {};
    ws.onmessage = (e) => {
      frames.push(JSON.parse(e.data));
      wake();
    };
    while (!frames.some((f) => f.type === "ready")) await new Promise<void>((res) => (wake = res));
    const producer = kafkaFor(address).producer();
    await producer.connect();
    try {
      const burst = Array.from({ length: 3000 }, (_, i) => ({ value: `m${i}` }));
      await producer.send({ topic: "empty", messages: burst });
      const total = () => frames.reduce((n, f) => n + (f.total ?? 0), 0);
      while (total() < 3000) await new Promise<void>((res) => (wake = res));
      assert.equal(total(), 3000);
      for (const f of frames.filter((f) => f.type === "batch")) {
        assert.ok(f.messages.length <= FRAME_MAX);
        assert.equal(f.skipped, f.total - f.messages.length);
      }
      assert.ok(frames.some((f) => f.skipped > 0));
      // Paused: nothing is sent; resumed: what arrived meanwhile comes.
      ws.send(JSON.stringify({ type: "pause" }));
      await new Promise((res) => setTimeout(res, 300));
      const before = frames.length;
      await producer.send({ topic: "empty", messages: [{ value: "while-paused" }] });
      await new Promise((res) => setTimeout(res, 700));
      assert.equal(frames.length, before);
      ws.send(JSON.stringify({ type: "resume" }));
      while (frames.length === before) await new Promise<void>((res) => (wake = res));
      assert.equal(frames[before].total, 1);
    } finally {
      await producer.disconnect();
      ws.close();
      await new Promise((res) => (ws.onclose = res));
    }
  });
});

/** Opens a live tail and collects its frames until it closes. */
function tail(port: number, query: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/topics/empty/live?${query}`);
  // deno-lint-ignore no-explicit-any
  const frames: any[] = [];
  let wake = () => {};
  ws.onmessage = (e) => {
    frames.push(JSON.parse(e.data));
    wake();
  };
  const closed = new Promise<void>((res) => (ws.onclose = () => res()));
  const until = async (ok: () => boolean) => {
    while (!ok()) await new Promise<void>((res) => (wake = res));
  };
  return { ws, frames, closed, until };
}

Deno.test("live tail with a JavaScript predicate: only matches are sent; a bad predicate ends that tail only, with a clear message", async () => {
  await withConsole(async (c, address) => {
    const producer = kafkaFor(address).producer();
    await producer.connect();
    try {
      const t = tail(c.port, `filter=${encodeURIComponent("value.n % 2 === 0")}`);
      await t.until(() => t.frames.some((f) => f.type === "ready"));
      await producer.send({
        topic: "empty",
        messages: [0, 1, 2, 3, 4, 5].map((n) => ({ value: JSON.stringify({ n }) })),
      });
      const got = () => t.frames.flatMap((f) => f.type === "batch" ? f.messages : []);
      await t.until(() => got().length >= 3);
      assert.deepEqual(got().map((m) => m.value.json.n), [0, 2, 4]);
      t.ws.close();
      await t.closed;

      // Does not compile: the first frame says so, and the socket closes.
      const bad = tail(c.port, `filter=${encodeURIComponent("value.(")}`);
      await bad.closed;
      assert.equal(bad.frames.length, 1);
      assert.equal(bad.frames[0].fatal, true);
      assert.match(bad.frames[0].error, /^filter: .*(Unexpected|SyntaxError|token)/i);

      // Throws on a message: named by partition and offset; the tail ends.
      const throws = tail(c.port, `filter=${encodeURIComponent("value.missing.deeper")}`);
      await throws.until(() => throws.frames.some((f) => f.type === "ready"));
      await producer.send({ topic: "empty", messages: [{ value: JSON.stringify({ n: 9 }) }] });
      await throws.closed;
      const last = throws.frames[throws.frames.length - 1];
      assert.equal(last.fatal, true);
      assert.match(last.error, /^filter: at partition 0 offset 6: .*undefined/);

      // Loops forever: stopped at the time limit.
      const loops = tail(c.port, `filter=${encodeURIComponent("(() => { while (true) {} })()")}`);
      await loops.until(() => loops.frames.some((f) => f.type === "ready"));
      await producer.send({ topic: "empty", messages: [{ value: "x" }] });
      await loops.closed;
      assert.match(loops.frames[loops.frames.length - 1].error, /took longer than 2000 ms/);

      // The server is still up and serves others.
      const r = await api(c, "/api/topics/empty");
      assert.equal(r.status, 200);
      assert.equal(r.body.messages, 8);
    } finally {
      await producer.disconnect();
    }
  });
});
