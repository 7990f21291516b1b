import assert from "node:assert/strict";
import { assignVariant, bucket } from "../../lib/ml/ab.ts";
import { mulberry32 } from "../../lib/util/prng.ts";

const variants = [{ version: 1, weight: 0.7 }, { version: 2, weight: 0.2 }, {
  version: 3,
  weight: 0.1,
}];

Deno.test("A/B split: sticky per key, and a new experiment reshuffles", () => {
  for (let i = 0; i < 1000; i++) {
    const key = `device-${i}`;
    const first = assignVariant(variants, key, "exp-1").version;
    for (let j = 0; j < 3; j++) assert.equal(assignVariant(variants, key, "exp-1").version, first);
  }
  let moved = 0;
  for (let i = 0; i < 1000; i++) {
    if (bucket(`device-${i}`, "exp-1") !== bucket(`device-${i}`, "exp-2")) moved++;
  }
  assert.ok(moved > 990);
});

// Tolerance: 20,000 keys; the binomial standard deviation of a 0.1 share is 0.0021, so
// ±0.01 is about 4.7 sigma for every variant.
Deno.test("A/B split: shares match the weights within ±0.01 over 20,000 keys", () => {
  const rand = mulberry32(5);
  const hex = () => Math.floor(rand() * 2 ** 32).toString(16).padStart(8, "0");
  for (const keys of [(i: number) => `device-${i}`, () => `${hex()}-${hex()}-${hex()}`]) {
    const counts = new Map<number, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const v = assignVariant(variants, keys(i), "exp").version;
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    for (const v of variants) {
      const share = (counts.get(v.version) ?? 0) / n;
      assert.ok(Math.abs(share - v.weight) <= 0.01, `v${v.version}: ${share} vs ${v.weight}`);
    }
  }
});

Deno.test("A/B split: weights need not sum to 1", () => {
  const n = 10_000;
  let second = 0;
  for (let i = 0; i < n; i++) {
    if (
      assignVariant([{ version: 1, weight: 1 }, { version: 2, weight: 3 }], `k${i}`, "").version ===
        2
    ) second++;
  }
  assert.ok(Math.abs(second / n - 0.75) <= 0.015, String(second / n));
});
