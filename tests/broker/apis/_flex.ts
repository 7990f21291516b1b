/**
 * Hand-built KIP-482 (flexible version) bytes for golden tests: compact strings, arrays and
 * bytes, UUIDs and empty tag sections. Independent of lib/kafka/protocol on purpose.
 *
 * @module
 */
import { cstr, uvarint } from "./_wire.ts";

/** An empty tagged-field section. */
export const TAGS = [0];
/** Compact nullable string (null → 0). */
export function cnstr(s: string | null): number[] {
  return s === null ? [0] : cstr(s);
}
/** Compact array of struct items, each followed by an empty tag section; null → 0. */
export function carr(items: number[][] | null): number[] {
  if (items === null) return [0];
  return [...uvarint(items.length + 1), ...items.flatMap((i) => [...i, ...TAGS])];
}
/** Compact array of scalar items (no tag sections). */
export function cscalars(items: number[][]): number[] {
  return [...uvarint(items.length + 1), ...items.flat()];
}
/** Compact bytes. */
export function cbytes(b: number[]): number[] {
  return [...uvarint(b.length + 1), ...b];
}
/** A canonical UUID string as its 16 bytes. */
export function uuid(s: string): number[] {
  const hex = s.replaceAll("-", "");
  return Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}
