/**
 * A/B assignment: each device goes to a variant by a hash of its key and the experiment's
 * salt, weighted, so a device stays in its variant for the whole experiment (sticky) and a
 * new experiment reshuffles devices. FNV-1a (32 bit) is the hash: small, stable across
 * platforms and well spread over similar keys.
 *
 * @module
 */
import type { Variant } from "./model_record.ts";

/** FNV-1a over the UTF-16 code units of `text`, as an unsigned 32-bit integer. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche (murmur3's fmix32) so the low bits of near-identical keys differ too.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key's position in [0, 1) for this experiment. */
export function bucket(key: string, experiment: string): number {
  return fnv1a(`${experiment}\u0000${key}`) / 4294967296;
}

/**
 * The variant `key` belongs to: cumulative weights over {@link bucket}.
 *
 * @example
 * ```ts
 * import { assignVariant } from "@sa/toolkit";
 * const variants = [{ version: 1, weight: 90 }, { version: 2, weight: 10 }];
 * console.log(assignVariant(variants, "phone-42", "exp-1").version); // 1 or 2, always the same
 * ```
 */
export function assignVariant<V extends Variant>(
  variants: readonly V[],
  key: string,
  experiment: string,
): V {
  const total = variants.reduce((s, v) => s + v.weight, 0);
  const point = bucket(key, experiment) * total;
  let acc = 0;
  for (const v of variants) {
    acc += v.weight;
    if (point < acc) return v;
  }
  return variants[variants.length - 1];
}
