/**
 * Decompression of Kafka record sections for the codecs clients send: gzip and zstd through
 * `node:zlib`, snappy (raw, or Xerial-framed as the Java client writes it) and LZ4 frames in
 * plain TypeScript. The broker stores batches as received; it decodes only to check keys on
 * compacted topics, to compact, and to find offsets by timestamp. Output is capped at
 * {@link MAX_DECOMPRESSED} so a compression bomb fails the request instead of the broker.
 *
 * @module
 */
import { gunzipSync, zstdDecompressSync } from "node:zlib";

/** Cap on a decompressed records section. */
export const MAX_DECOMPRESSED = 256 * 1024 * 1024;

/** Thrown for malformed compressed data; callers map it to CORRUPT_MESSAGE. */
export class DecompressError extends Error {
  constructor(codec: string, detail: string) {
    super(`${codec}: ${detail}`);
    this.name = "DecompressError";
  }
}

class Out {
  buf: Uint8Array;
  len = 0;
  constructor(size: number, readonly codec: string, readonly limit: number) {
    this.buf = new Uint8Array(Math.max(64, Math.min(size, limit)));
  }
  reserve(n: number): void {
    const need = this.len + n;
    if (need > this.limit) {
      throw new DecompressError(this.codec, `output exceeds ${this.limit} bytes`);
    }
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(Math.min(cap, this.limit));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  literal(src: Uint8Array, at: number, n: number): void {
    if (at + n > src.length) throw new DecompressError(this.codec, "literal runs past the input");
    this.reserve(n);
    this.buf.set(src.subarray(at, at + n), this.len);
    this.len += n;
  }
  copy(offset: number, n: number): void {
    if (offset <= 0 || offset > this.len) {
      throw new DecompressError(this.codec, `back-reference ${offset} outside ${this.len} bytes`);
    }
    this.reserve(n);
    const b = this.buf;
    let from = this.len - offset;
    // Overlapping copies repeat the pattern, so copy byte by byte.
    for (let i = 0; i < n; i++) b[this.len++] = b[from++];
  }
  result(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** Decodes one raw snappy block, appending to `out`. */
function snappyBlock(src: Uint8Array, start: number, end: number, out: Out): void {
  let i = start;
  // Preamble: uncompressed length varint.
  let expect = 0;
  for (let shift = 0;; shift += 7) {
    if (i >= end || shift > 28) throw new DecompressError("snappy", "bad length preamble");
    const b = src[i++];
    expect += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) break;
  }
  const target = out.len + expect;
  out.reserve(expect);
  while (i < end) {
    const tag = src[i++];
    const kind = tag & 3;
    if (kind === 0) {
      let n = tag >>> 2;
      if (n >= 60) {
        const bytes = n - 59;
        if (i + bytes > end) throw new DecompressError("snappy", "truncated literal length");
        n = 0;
        for (let k = 0; k < bytes; k++) n += src[i + k] * 2 ** (8 * k);
        i += bytes;
      }
      n += 1;
      if (i + n > end) throw new DecompressError("snappy", "literal runs past the block");
      out.literal(src, i, n);
      i += n;
    } else if (kind === 1) {
      if (i >= end) throw new DecompressError("snappy", "truncated copy");
      out.copy(((tag >>> 5) << 8) | src[i++], 4 + ((tag >>> 2) & 7));
    } else if (kind === 2) {
      if (i + 2 > end) throw new DecompressError("snappy", "truncated copy");
      out.copy(src[i] | (src[i + 1] << 8), 1 + (tag >>> 2));
      i += 2;
    } else {
      if (i + 4 > end) throw new DecompressError("snappy", "truncated copy");
      out.copy(
        (src[i] | (src[i + 1] << 8) | (src[i + 2] << 16)) + src[i + 3] * 2 ** 24,
        1 + (tag >>> 2),
      );
      i += 4;
    }
  }
  if (out.len !== target) {
    throw new DecompressError("snappy", `decoded ${out.len} bytes, preamble said ${target}`);
  }
}

const XERIAL = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];

/** Snappy: Xerial framing (Java client) when its magic is present, else one raw block. */
export function snappyDecompress(src: Uint8Array, limit = MAX_DECOMPRESSED): Uint8Array {
  const out = new Out(src.length * 4, "snappy", limit);
  const xerial = src.length >= 16 && XERIAL.every((b, k) => src[k] === b);
  if (!xerial) {
    snappyBlock(src, 0, src.length, out);
    return out.result();
  }
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let i = 16;
  while (i < src.length) {
    if (i + 4 > src.length) throw new DecompressError("snappy", "truncated Xerial chunk header");
    const n = dv.getInt32(i);
    i += 4;
    if (n < 0 || i + n > src.length) {
      throw new DecompressError("snappy", `bad Xerial chunk size ${n}`);
    }
    snappyBlock(src, i, i + n, out);
    i += n;
  }
  return out.result();
}

function lz4Block(src: Uint8Array, start: number, end: number, out: Out): void {
  let i = start;
  while (i < end) {
    const token = src[i++];
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (i >= end) throw new DecompressError("lz4", "truncated literal length");
        b = src[i++];
        lit += b;
      } while (b === 255);
    }
    out.literal(src, i, lit);
    i += lit;
    if (i >= end) break; // the last sequence has literals only
    if (i + 2 > end) throw new DecompressError("lz4", "truncated match offset");
    const offset = src[i] | (src[i + 1] << 8);
    i += 2;
    let m = token & 15;
    if (m === 15) {
      let b: number;
      do {
        if (i >= end) throw new DecompressError("lz4", "truncated match length");
        b = src[i++];
        m += b;
      } while (b === 255);
    }
    out.copy(offset, m + 4);
  }
}

/** LZ4 frame format (magic 0x184D2204), the format Kafka uses for magic-2 batches. */
export function lz4Decompress(src: Uint8Array, limit = MAX_DECOMPRESSED): Uint8Array {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (src.length < 7 || dv.getUint32(0, true) !== 0x184d2204) {
    throw new DecompressError("lz4", "missing LZ4 frame magic");
  }
  const flg = src[4];
  if ((flg >>> 6) !== 1) throw new DecompressError("lz4", `unsupported frame version ${flg >>> 6}`);
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const dictId = (flg & 0x01) !== 0;
  let i = 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // FLG BD [size] [dict] HC
  const out = new Out(src.length * 4, "lz4", limit);
  while (true) {
    if (i + 4 > src.length) throw new DecompressError("lz4", "truncated block header");
    const word = dv.getUint32(i, true);
    i += 4;
    if (word === 0) break; // end mark
    const size = word & 0x7fffffff;
    if (i + size > src.length) {
      throw new DecompressError("lz4", `block of ${size} bytes runs past the input`);
    }
    if (word & 0x80000000) out.literal(src, i, size);
    else lz4Block(src, i, i + size, out);
    i += size + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum && i + 4 > src.length) {
    throw new DecompressError("lz4", "truncated content checksum");
  }
  return out.result();
}

/**
 * Decompresses a records section for codec id 1-4 (gzip, snappy, lz4, zstd); output larger
 * than `limit` bytes throws {@link DecompressError}.
 */
export function decompress(codec: number, src: Uint8Array, limit = MAX_DECOMPRESSED): Uint8Array {
  switch (codec) {
    case 1:
      try {
        return new Uint8Array(gunzipSync(src, { maxOutputLength: limit }));
      } catch (e) {
        throw new DecompressError("gzip", (e as Error).message);
      }
    case 2:
      return snappyDecompress(src, limit);
    case 3:
      return lz4Decompress(src, limit);
    case 4:
      try {
        return new Uint8Array(zstdDecompressSync(src, { maxOutputLength: limit }));
      } catch (e) {
        throw new DecompressError("zstd", (e as Error).message);
      }
    default:
      throw new DecompressError(`codec ${codec}`, "unknown compression id");
  }
}
