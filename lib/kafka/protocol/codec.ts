/**
 * Kafka wire primitives: a bounds-checked {@link Reader} and a growable {@link Writer}.
 *
 * Every read checks bounds and throws {@link ProtocolError} naming the field offset, so a
 * malformed frame fails the request, never the broker. Offsets and timestamps are JS
 * numbers: int64 values beyond 2^53 are rejected rather than silently rounded.
 *
 * @module
 */
import { ProtocolError } from "./errors.ts";

const textDecoder = new TextDecoder("utf-8", { fatal: true });
const textEncoder = new TextEncoder();

/** The all-zero UUID Kafka uses for "no topic id". */
export const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

/** Reads big-endian Kafka primitives from a byte slice. */
export class Reader {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos: number;
  readonly end: number;
  /**
   * Whether the request version is flexible (KIP-482): the `f*` readers below then use compact
   * strings and arrays and read tagged-field sections; otherwise the classic INT16/INT32
   * lengths and no tags. A handler sets it once from its version, then reads each field the
   * same way in every version.
   */
  flexible = false;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  /** Bytes left to read. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new ProtocolError(
        `truncated ${what} at byte ${this.pos}: need ${n}, have ${this.end - this.pos}`,
      );
    }
  }

  int8(): number {
    this.need(1, "int8");
    return this.view.getInt8(this.pos++);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.need(2, "int16");
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4, "int32");
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  /** int64 as a number; throws if it is not a safe integer. */
  int64(): number {
    this.need(8, "int64");
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    const n = Number(v);
    if (!Number.isSafeInteger(n)) {
      throw new ProtocolError(`int64 ${v} at byte ${this.pos - 8} is out of the supported range`);
    }
    return n;
  }
  /** A view of the next n bytes (no copy). */
  raw(n: number): Uint8Array {
    this.need(n, "bytes");
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Unsigned LEB128 varint (flexible versions). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1, "uvarint");
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
    throw new ProtocolError(`uvarint too long at byte ${this.pos}`);
  }
  /** Zig-zag signed varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  /** Zig-zag signed varlong (record fields), as a number. */
  varlong(): number {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      this.need(1, "varlong");
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        const v = (result >> 1n) ^ -(result & 1n);
        return Number(v);
      }
      shift += 7n;
    }
    throw new ProtocolError(`varlong too long at byte ${this.pos}`);
  }

  private utf8(n: number): string {
    const bytes = this.raw(n);
    try {
      return textDecoder.decode(bytes);
    } catch {
      throw new ProtocolError(`invalid UTF-8 string at byte ${this.pos - n}`);
    }
  }
  string(): string {
    const n = this.int16();
    if (n < 0) throw new ProtocolError(`null string at byte ${this.pos - 2}`);
    return this.utf8(n);
  }
  nullableString(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.utf8(n);
  }
  compactString(): string {
    const n = this.uvarint() - 1;
    if (n < 0) throw new ProtocolError(`null compact string at byte ${this.pos}`);
    return this.utf8(n);
  }
  bytes(): Uint8Array {
    const n = this.int32();
    if (n < 0) throw new ProtocolError(`null bytes at byte ${this.pos - 4}`);
    return this.raw(n);
  }
  nullableBytes(): Uint8Array | null {
    const n = this.int32();
    return n < 0 ? null : this.raw(n);
  }
  compactBytes(): Uint8Array {
    const n = this.uvarint() - 1;
    if (n < 0) throw new ProtocolError(`null compact bytes at byte ${this.pos}`);
    return this.raw(n);
  }

  /** INT32-counted array; -1 yields null. Guards the count against the bytes left. */
  array<T>(item: (r: Reader) => T): T[] {
    const out = this.nullableArray(item);
    if (out === null) throw new ProtocolError(`null array at byte ${this.pos - 4}`);
    return out;
  }
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.int32();
    if (n < 0) return null;
    if (n > this.remaining) {
      throw new ProtocolError(`array count ${n} exceeds ${this.remaining} bytes left`);
    }
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }
  compactArray<T>(item: (r: Reader) => T): T[] {
    const out = this.compactNullableArray(item);
    if (out === null) throw new ProtocolError(`null compact array at byte ${this.pos}`);
    return out;
  }
  compactNullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    if (n > this.remaining) {
      throw new ProtocolError(`array count ${n} exceeds ${this.remaining} bytes left`);
    }
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }
  /** Skips a tagged-field section (flexible versions). */
  taggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n; i++) {
      this.uvarint(); // tag
      this.raw(this.uvarint());
    }
  }
  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    return n < 0 ? null : this.utf8(n);
  }
  /** A UUID (16 raw bytes) in its canonical 8-4-4-4-12 hex form. */
  uuid(): string {
    const b = this.raw(16);
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
      hex.slice(20)
    }`;
  }

  // ---- version-dependent fields: compact and tagged when `flexible` ----------------------------

  /** A string: compact when flexible. */
  fString(): string {
    return this.flexible ? this.compactString() : this.string();
  }
  /** A nullable string: compact when flexible. */
  fNullableString(): string | null {
    return this.flexible ? this.compactNullableString() : this.nullableString();
  }
  /** Bytes: compact when flexible. */
  fBytes(): Uint8Array {
    return this.flexible ? this.compactBytes() : this.bytes();
  }
  /**
   * An array: compact when flexible. Items that are structures read their own `fTags()` at
   * their end; scalar items have none.
   */
  fArray<T>(item: (r: Reader) => T): T[] {
    return this.flexible ? this.compactArray(item) : this.array(item);
  }
  /** A nullable array: compact when flexible. */
  fNullableArray<T>(item: (r: Reader) => T): T[] | null {
    return this.flexible ? this.compactNullableArray(item) : this.nullableArray(item);
  }
  /** The tagged-field section ending a structure, when flexible (skipped: none are known). */
  fTags(): void {
    if (this.flexible) this.taggedFields();
  }
}

/** Writes big-endian Kafka primitives into a growable buffer. */
export class Writer {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;
  /** Whether the response version is flexible (KIP-482): see {@link Reader.flexible}. */
  flexible: boolean;

  constructor(initial = 256, flexible = false) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
    this.flexible = flexible;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  int8(v: number): this {
    this.ensure(1);
    this.view.setInt8(this.pos++, v);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.ensure(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }
  int64(v: number | bigint): this {
    this.ensure(8);
    this.view.setBigInt64(this.pos, typeof v === "bigint" ? v : BigInt(v));
    this.pos += 8;
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }
  uvarint(v: number): this {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  varlong(v: number | bigint): this {
    const b = BigInt(v);
    let z = b >= 0n ? b << 1n : ((-b) << 1n) - 1n;
    this.ensure(10);
    while (z >= 0x80n) {
      this.buf[this.pos++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.pos++] = Number(z);
    return this;
  }
  string(s: string): this {
    const b = textEncoder.encode(s);
    return this.int16(b.length).raw(b);
  }
  nullableString(s: string | null | undefined): this {
    return s == null ? this.int16(-1) : this.string(s);
  }
  compactString(s: string): this {
    const b = textEncoder.encode(s);
    return this.uvarint(b.length + 1).raw(b);
  }
  bytes(b: Uint8Array): this {
    return this.int32(b.length).raw(b);
  }
  nullableBytes(b: Uint8Array | null | undefined): this {
    return b == null ? this.int32(-1) : this.bytes(b);
  }
  array<T>(items: readonly T[], item: (w: Writer, v: T) => void): this {
    this.int32(items.length);
    for (const v of items) item(this, v);
    return this;
  }
  nullableArray<T>(items: readonly T[] | null | undefined, item: (w: Writer, v: T) => void): this {
    return items == null ? this.int32(-1) : this.array(items, item);
  }
  compactArray<T>(items: readonly T[], item: (w: Writer, v: T) => void): this {
    this.uvarint(items.length + 1);
    for (const v of items) item(this, v);
    return this;
  }
  /** An empty tagged-field section. */
  taggedFields(): this {
    return this.uvarint(0);
  }
  compactNullableString(s: string | null | undefined): this {
    return s == null ? this.uvarint(0) : this.compactString(s);
  }
  compactBytes(b: Uint8Array): this {
    return this.uvarint(b.length + 1).raw(b);
  }
  /** A canonical UUID string as 16 raw bytes. */
  uuid(uuid: string): this {
    const hex = uuid.replaceAll("-", "");
    if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${JSON.stringify(uuid)}`);
    const b = new Uint8Array(16);
    for (let i = 0; i < 16; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return this.raw(b);
  }

  // ---- version-dependent fields: compact and tagged when `flexible` ----------------------------

  /** A string: compact when flexible. */
  fString(s: string): this {
    return this.flexible ? this.compactString(s) : this.string(s);
  }
  /** A nullable string: compact when flexible. */
  fNullableString(s: string | null | undefined): this {
    return this.flexible ? this.compactNullableString(s) : this.nullableString(s);
  }
  /** Bytes: compact when flexible. */
  fBytes(b: Uint8Array): this {
    return this.flexible ? this.compactBytes(b) : this.bytes(b);
  }
  /**
   * An array: compact when flexible. Items that are structures end with their own `fTags()`;
   * scalar items (e.g. INT32 replica ids) have none.
   */
  fArray<T>(items: readonly T[], item: (w: Writer, v: T) => void): this {
    return this.flexible ? this.compactArray(items, item) : this.array(items, item);
  }
  /** An empty tagged-field section ending a structure, when flexible. */
  fTags(): this {
    return this.flexible ? this.taggedFields() : this;
  }

  /** Overwrites an int32 at an earlier position (e.g. a length prefix). */
  patchInt32(at: number, v: number): void {
    this.view.setInt32(at, v);
  }

  /** The bytes written so far (a view; copy it if the writer is reused). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
