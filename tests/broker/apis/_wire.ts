/**
 * Hand-built Kafka bytes for golden tests, and a raw socket client that sends one request and
 * returns the exact response bytes. Deliberately independent of lib/kafka/protocol/codec.ts,
 * so the tests do not check the codec against itself.
 *
 * @module
 */

/** Big-endian int8. */
export const i8 = (v: number): number[] => [v & 0xff];
/** Big-endian int16. */
export const i16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
/** Big-endian int32. */
export const i32 = (
  v: number,
): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
/** Big-endian int64. */
export function i64(v: number): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, BigInt(v));
  return [...b];
}
/** Boolean. */
export const bool = (v: boolean): number[] => [v ? 1 : 0];
/** INT16-length string; null → -1. */
export function str(s: string | null): number[] {
  if (s === null) return i16(-1);
  const b = new TextEncoder().encode(s);
  return [...i16(b.length), ...b];
}
/** Unsigned varint. */
export function uvarint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}
/** Compact (uvarint N+1) string. */
export function cstr(s: string): number[] {
  const b = new TextEncoder().encode(s);
  return [...uvarint(b.length + 1), ...b];
}
/** INT32-counted array of already-encoded items; null → -1. */
export function arr(items: number[][] | null): number[] {
  if (items === null) return i32(-1);
  return [...i32(items.length), ...items.flat()];
}
/** INT32-length bytes; null → -1. */
export function bytes(b: Uint8Array | number[] | null): number[] {
  if (b === null) return i32(-1);
  return [...i32(b.length), ...b];
}

/** A request frame: size, header v1 (or v2 with `flexible`), body. */
export function request(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: number[],
  opts: { clientId?: string | null; flexible?: boolean } = {},
): Uint8Array {
  const header = [
    ...i16(apiKey),
    ...i16(apiVersion),
    ...i32(correlationId),
    ...str(opts.clientId === undefined ? "golden" : opts.clientId),
    ...(opts.flexible ? [0] : []),
  ];
  const payload = [...header, ...body];
  return new Uint8Array([...i32(payload.length), ...payload]);
}

/** A raw connection to the broker. */
export class WireClient {
  private buf = new Uint8Array(0);

  private constructor(readonly conn: Deno.TcpConn) {}

  static async connect(port: number): Promise<WireClient> {
    return new WireClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  async send(frame: Uint8Array): Promise<void> {
    let off = 0;
    while (off < frame.length) off += await this.conn.write(frame.subarray(off));
  }

  /** The next response frame's payload (correlation id onwards), or null if the broker closed. */
  async receive(): Promise<Uint8Array | null> {
    if (!(await this.fill(4))) return null;
    const size = new DataView(this.buf.buffer, this.buf.byteOffset).getInt32(0);
    // Read the rest straight into one buffer of the frame's size (large fetch responses).
    const out = new Uint8Array(size);
    let have = Math.min(size, this.buf.length - 4);
    out.set(this.buf.subarray(4, 4 + have));
    this.buf = this.buf.slice(4 + have);
    while (have < size) {
      let n: number | null;
      try {
        n = await this.conn.read(out.subarray(have));
      } catch {
        n = null;
      }
      if (n === null) return null;
      have += n;
    }
    return out;
  }

  /** The next `n` raw bytes (no frame), or null if the broker closed first. */
  async receiveBytes(n: number): Promise<Uint8Array | null> {
    if (!(await this.fill(n))) return null;
    const out = this.buf.slice(0, n);
    this.buf = this.buf.slice(n);
    return out;
  }

  private async fill(want: number): Promise<boolean> {
    while (this.buf.length < want) {
      const chunk = new Uint8Array(64 * 1024);
      let n: number | null;
      try {
        n = await this.conn.read(chunk);
      } catch {
        n = null;
      }
      if (n === null) return false;
      const next = new Uint8Array(this.buf.length + n);
      next.set(this.buf);
      next.set(chunk.subarray(0, n), this.buf.length);
      this.buf = next;
    }
    return true;
  }

  /** Sends one request and returns its response payload; throws if the broker closed. */
  async roundTrip(frame: Uint8Array): Promise<Uint8Array> {
    await this.send(frame);
    const res = await this.receive();
    if (res === null) throw new Error("broker closed the connection");
    return res;
  }

  close(): void {
    try {
      this.conn.close();
    } catch {
      // already closed
    }
  }
}
