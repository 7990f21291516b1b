import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { BackpressureGate, SinkBackpressureError } from "../../../lib/stream/sinks/backpressure.ts";
import { StreamError } from "../../../lib/stream/errors.ts";
import { Logger } from "../../../lib/util/log.ts";

function gate() {
  const calls: string[] = [];
  const consumer = {
    pause: (t: Array<{ topic: string }>) => void calls.push(`pause ${t.map((x) => x.topic)}`),
    resume: (t: Array<{ topic: string }>) => void calls.push(`resume ${t.map((x) => x.topic)}`),
  };
  const g = new BackpressureGate(() => consumer, () => ["a", "b"], new Logger("t", "SILENT"));
  return { g, calls };
}

Deno.test("backpressure gate: pauses the input, defers checkpoints for the delay, resumes on success", async () => {
  const { g, calls } = gate();
  let attempts = 0;
  const commit = () => {
    attempts++;
    return attempts === 1
      ? Promise.reject(new SinkBackpressureError(1000, "busy"))
      : Promise.resolve();
  };
  await g.run(commit);
  assertEquals(calls, ["pause a,b"]);
  assert(g.waiting);
  await g.run(commit); // within the delay: not attempted
  assertEquals(attempts, 1);
  await new Promise((r) => setTimeout(r, 1050));
  await g.run(commit);
  assertEquals(attempts, 2);
  assertEquals(calls, ["pause a,b", "resume a,b"]);
});

Deno.test("backpressure gate: other errors propagate; at shutdown it waits and retries, then gives up", async () => {
  const { g } = gate();
  await assertRejects(
    () => g.run(() => Promise.reject(new Error("disk full"))),
    Error,
    "disk full",
  );
  let n = 0;
  await g.run(
    () => ++n < 3 ? Promise.reject(new SinkBackpressureError(5)) : Promise.resolve(),
    true,
  );
  assertEquals(n, 3);
  await assertRejects(
    () => g.run(() => Promise.reject(new SinkBackpressureError(1)), true),
    StreamError,
    "still backpressured after 5 attempts",
  );
});
