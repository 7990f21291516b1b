/**
 * Byte layout of window stores. Every key starts with the message-key prefix
 * `[type tag][u32 length][key bytes]` so that one key's entries are contiguous and the
 * message key can be decoded back (wall-clock idle closing needs it). Then a tag byte:
 * `0x00` per-key metadata, `0x01` windows (`u64 start`, `u64 end`), `0x02` raw records.
 *
 * @module
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Entry kinds after the message-key prefix. */
export const META = 0x00;
/** Window entries (time, sliding-unused, session). */
export const WINDOW = 0x01;
/** Raw record entries (sliding windows). */
export const RECORD = 0x02;

/** Encodes a message key as a store prefix; null/undefined keys have none. */
export function keyPrefix(key: unknown): Uint8Array {
  let tag: number;
  let body: Uint8Array;
  if (key instanceof Uint8Array) {
    tag = 0x62; // "b"
    body = key;
  } else if (typeof key === "string") {
    tag = 0x73; // "s"
    body = enc.encode(key);
  } else {
    tag = 0x6a; // "j"
    body = enc.encode(JSON.stringify(key));
  }
  const out = new Uint8Array(5 + body.length);
  out[0] = tag;
  new DataView(out.buffer).setUint32(1, body.length);
  out.set(body, 5);
  return out;
}

/** Decodes the message key from the start of a store key; returns it and the prefix length. */
export function decodePrefix(bytes: Uint8Array): { key: unknown; length: number } {
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  const body = bytes.subarray(5, 5 + len);
  const tag = bytes[0];
  const key = tag === 0x62
    ? body.slice()
    : tag === 0x73
    ? dec.decode(body)
    : JSON.parse(dec.decode(body));
  return { key, length: 5 + len };
}

/** `prefix + tag + u64 values...` */
export function entryKey(prefix: Uint8Array, tag: number, ...nums: number[]): Uint8Array {
  const out = new Uint8Array(prefix.length + 1 + nums.length * 8);
  out.set(prefix);
  out[prefix.length] = tag;
  const view = new DataView(out.buffer);
  let o = prefix.length + 1;
  for (const n of nums) {
    view.setUint32(o, Math.floor(n / 0x1_0000_0000));
    view.setUint32(o + 4, n >>> 0);
    o += 8;
  }
  return out;
}

/** Reads the u64 at `index` after `prefix + tag`. */
export function readNum(key: Uint8Array, prefixLength: number, index: number): number {
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const o = prefixLength + 1 + index * 8;
  return view.getUint32(o) * 0x1_0000_0000 + view.getUint32(o + 4);
}

/** The range `[prefix+tag, prefix+tag+1)` holding every entry of one kind for one key. */
export function kindRange(prefix: Uint8Array, tag: number): [Uint8Array, Uint8Array] {
  return [entryKey(prefix, tag), entryKey(prefix, tag + 1)];
}

/** JSON to bytes. */
export function encodeJson(value: unknown): Uint8Array {
  return enc.encode(JSON.stringify(value));
}

/** Bytes to JSON. */
export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(dec.decode(bytes)) as T;
}

/** Everything: a range covering all keys of a window store. */
export const ALL: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array([0xff, 0xff])];
