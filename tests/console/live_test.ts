import assert from "node:assert/strict";
import { withConsole } from "./_console.ts";
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
