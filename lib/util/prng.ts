/**
 * A small seedable PRNG for reproducible synthetic data and randomized tests.
 *
 * @module
 */

/**
 * mulberry32: fast, good enough for synthetic data and fuzzing, and identical on every platform,
 * so a seed always gives the same sequence (generated files stay byte-for-byte reproducible).
 * Returns numbers in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
