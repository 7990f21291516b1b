import { assertEquals, assertThrows } from "../_assert.ts";
import { View } from "../../../lib/stream/views/view.ts";
import type { StepContext } from "../../../lib/stream/types.ts";

const at = (partition: number, offset: number) => ({ partition, offset }) as StepContext;

Deno.test("view: latest value per key, prefix listing, revoke drops a partition's keys", () => {
  const v = new View("v", "t");
  v.apply("a1", { n: 1 }, at(0, 0));
  v.apply("a2", { n: 2 }, at(1, 0));
  v.apply("a1", { n: 3 }, at(0, 1));
  v.apply("b", { n: 4 }, at(0, 2));
  assertEquals(v.get("a1"), { n: 3 });
  assertEquals(v.list("a"), [{ key: "a1", value: { n: 3 } }, { key: "a2", value: { n: 2 } }]);
  assertEquals(v.list("", 1), [{ key: "a1", value: { n: 3 } }]);
  v.advance(0, 3);
  v.advance(1, 1);
  v.advance(0, 2); // never backwards
  assertEquals([...v.position()], [[0, 3], [1, 1]]);
  v.revoke(0);
  assertEquals(v.list(), [{ key: "a2", value: { n: 2 } }]);
  assertEquals([...v.position()], [[1, 1]]);
});

Deno.test("view: windowed keeps the latest N windows per key by start, replacing updates", () => {
  const v = new View("w", "t", { windowed: true, windows: 2 });
  v.apply("k", { start: 0, end: 10, value: 1 }, at(0, 0));
  v.apply("k", { start: 10, end: 20, value: 2 }, at(0, 1));
  v.apply("k", { start: 10, end: 20, value: 3 }, at(0, 2));
  v.apply("k", { start: 20, end: 30, value: 4 }, at(0, 3));
  assertEquals(v.get("k"), [{ start: 10, end: 20, value: 3 }, { start: 20, end: 30, value: 4 }]);
  assertThrows(() => v.apply("k", { value: 1 }, at(0, 4)), TypeError, "window results");
});

Deno.test("view: waitFor resolves when the position is reached, false on timeout", async () => {
  const v = new View("v", "t");
  const waiting = v.waitFor(new Map([[0, 5]]), 5000);
  v.advance(0, 4);
  v.advance(0, 5);
  assertEquals(await waiting, true);
  assertEquals(await v.waitFor(new Map([[1, 1]]), 10), false);
});

Deno.test("view: a subscription's snapshot and changes never miss or double a change", () => {
  const v = new View("v", "t");
  v.apply("a", 1, at(0, 0));
  const got: unknown[] = [];
  const sub = v.subscribe((c) => got.push([c.key, c.value, c.offset]), "a");
  v.apply("a", 2, at(0, 1));
  v.apply("b", 3, at(0, 2)); // filtered by prefix
  sub.stop();
  v.apply("a", 4, at(0, 3));
  assertEquals(sub.snapshot, [{ key: "a", value: 1 }]);
  assertEquals(got, [["a", 2, 1]]);
});
