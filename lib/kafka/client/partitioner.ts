/**
 * The default partitioner, compatible with the Java client's (and kafkajs's
 * `DefaultPartitioner`): a keyed record goes to `toPositive(murmur2(key)) % partitions`, so
 * keys land where every other Kafka client puts them.
 *
 * @module
 */

const enc = new TextEncoder();

/** Kafka's murmur2 (seed 0x9747b28c) of `data`, as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i << 2;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  const at = length & ~3;
  if (rest === 3) h ^= data[at + 2] << 16;
  if (rest >= 2) h ^= data[at + 1] << 8;
  if (rest >= 1) {
    h ^= data[at];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of `key` among `partitions` (Java's `Utils.toPositive(murmur2(key)) % n`). */
export function keyPartition(key: Uint8Array | string, partitions: number): number {
  const bytes = typeof key === "string" ? enc.encode(key) : key;
  return (murmur2(bytes) & 0x7fffffff) % partitions;
}
