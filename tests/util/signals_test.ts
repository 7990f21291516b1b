import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { InterruptTracker, SIGNAL_ECHO_MS } from "../../lib/util/signals.ts";

Deno.test("InterruptTracker: the echoes of one Ctrl+C are not a second press", () => {
  let now = 1000;
  const t = new InterruptTracker(() => now);
  assertEquals(t.hit(), "first");
  now += 3; // deno task forwards the same SIGINT to its child
  assertEquals(t.hit(), "echo");
  now += SIGNAL_ECHO_MS;
  assertEquals(t.hit(), "repeat");
});

Deno.test("InterruptTracker: markFirst counts a stop that came another way", () => {
  let now = 0;
  const t = new InterruptTracker(() => now);
  t.markFirst();
  now += 10;
  assertEquals(t.hit(), "echo");
  now += SIGNAL_ECHO_MS;
  assertEquals(t.hit(), "repeat");
});
