import assert from "node:assert/strict";
import { PointRing } from "../../lib/console/_ring.ts";

Deno.test("PointRing: oldest first, a full ring drops the oldest, dropBefore and after", () => {
  const r = new PointRing(3);
  assert.deepEqual(r.points(), []);
  assert.equal(r.last, -Infinity);
  for (let i = 1; i <= 5; i++) r.push(i * 10, i);
  assert.equal(r.size, 3);
  assert.equal(r.last, 50);
  assert.deepEqual(r.points(), [{ t: 30, v: 3 }, { t: 40, v: 4 }, { t: 50, v: 5 }]);
  assert.deepEqual(r.points(40), [{ t: 50, v: 5 }]);
  r.dropBefore(45);
  assert.deepEqual(r.points(), [{ t: 50, v: 5 }]);
  r.push(60, 6);
  r.push(70, 7);
  r.push(80, 8); // wraps past the end of the arrays
  assert.deepEqual(r.points().map((p) => p.v), [6, 7, 8]);
  r.dropBefore(1000);
  assert.equal(r.size, 0);
  assert.deepEqual(r.points(), []);
});
