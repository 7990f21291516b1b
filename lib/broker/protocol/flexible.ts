/**
 * KIP-482 flexible-version helpers on top of {@link Reader} and {@link Writer}: the pieces
 * codec.ts lacks (compact nullable strings and bytes, UUIDs), and version-switching readers
 * and writers so one handler serves its classic and flexible versions with the same code:
 * `flex` true means compact (uvarint N+1) lengths and counts.
 *
 * @module
 */
import type { Reader, Writer } from "./codec.ts";
import { ProtocolError } from "./errors.ts";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** A compact nullable string (uvarint N+1; 0 is null). */
export function readCompactNullableString(r: Reader): string | null {
  const n = r.uvarint() - 1;
  if (n < 0) return null;
  const at = r.pos;
  try {
    return textDecoder.decode(r.raw(n));
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    throw new ProtocolError(`invalid UTF-8 string at byte ${at}`);
  }
}

/** Writes a compact nullable string. */
export function writeCompactNullableString(w: Writer, s: string | null | undefined): Writer {
  if (s == null) return w.uvarint(0);
  const b = textEncoder.encode(s);
  return w.uvarint(b.length + 1).raw(b);
}

/** Writes compact bytes (uvarint N+1). */
export function writeCompactBytes(w: Writer, b: Uint8Array): Writer {
  return w.uvarint(b.length + 1).raw(b);
}

/** A string of either encoding. */
export function readStr(r: Reader, flex: boolean): string {
  return flex ? r.compactString() : r.string();
}
/** A nullable string of either encoding. */
export function readNullableStr(r: Reader, flex: boolean): string | null {
  return flex ? readCompactNullableString(r) : r.nullableString();
}
/** An array of either encoding; in flexible versions each item ends with its tag section. */
export function readArr<T>(r: Reader, flex: boolean, item: (r: Reader) => T): T[] {
  if (!flex) return r.array(item);
  return r.compactArray((r) => {
    const v = item(r);
    r.taggedFields();
    return v;
  });
}
/** A nullable array of either encoding (items as in {@link readArr}). */
export function readNullableArr<T>(r: Reader, flex: boolean, item: (r: Reader) => T): T[] | null {
  if (!flex) return r.nullableArray(item);
  return r.compactNullableArray((r) => {
    const v = item(r);
    r.taggedFields();
    return v;
  });
}
/** Skips the tag section that ends a flexible request body. */
export function readTags(r: Reader, flex: boolean): void {
  if (flex) r.taggedFields();
}

/** Writes a string of either encoding. */
export function writeStr(w: Writer, s: string, flex: boolean): Writer {
  return flex ? w.compactString(s) : w.string(s);
}
/** Writes a nullable string of either encoding. */
export function writeNullableStr(w: Writer, s: string | null | undefined, flex: boolean): Writer {
  return flex ? writeCompactNullableString(w, s) : w.nullableString(s);
}
/** Writes bytes of either encoding. */
export function writeBytes(w: Writer, b: Uint8Array, flex: boolean): Writer {
  return flex ? writeCompactBytes(w, b) : w.bytes(b);
}
/**
 * Writes an array of either encoding; in flexible versions each item gets an empty tag
 * section after it, as every struct in a flexible version ends with one.
 */
export function writeArr<T>(
  w: Writer,
  items: readonly T[],
  flex: boolean,
  item: (w: Writer, v: T) => void,
): Writer {
  if (!flex) return w.array(items, item);
  return w.compactArray(items, (w, v) => {
    item(w, v);
    w.taggedFields();
  });
}
/** Writes an array of scalars (no per-item tag section) of either encoding. */
export function writeScalarArr<T>(
  w: Writer,
  items: readonly T[],
  flex: boolean,
  item: (w: Writer, v: T) => void,
): Writer {
  return flex ? w.compactArray(items, item) : w.array(items, item);
}
/** Writes the empty tag section that ends a flexible response body. */
export function writeTags(w: Writer, flex: boolean): Writer {
  return flex ? w.taggedFields() : w;
}

/** A UUID (16 raw bytes) in its canonical 8-4-4-4-12 hex form. */
export function readUuid(r: Reader): string {
  const b = r.raw(16);
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}

/** Writes a canonical UUID string as 16 raw bytes. */
export function writeUuid(w: Writer, uuid: string): Writer {
  const hex = uuid.replaceAll("-", "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${JSON.stringify(uuid)}`);
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return w.raw(b);
}

/** The all-zero UUID Kafka uses for "no topic id". */
export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
