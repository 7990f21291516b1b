/**
 * Splits a byte stream into Kafka frames (`int32 size` + `size` bytes).
 *
 * Small frames are cut out of a shared read buffer; a frame larger than what is buffered gets
 * its own allocation and the rest of it is read straight into it, so record bytes are copied
 * once on the way in. Sizes above {@link MAX_FRAME_BYTES} (Kafka's `socket.request.max.bytes`)
 * or below zero fail with a {@link ProtocolError} before anything is allocated.
 *
 * @module
 */
import { ProtocolError } from "./errors.ts";
import type { BufferPool } from "./buffer_pool.ts";

/** Largest accepted frame: 100 MiB, like Kafka's default `socket.request.max.bytes`. */
export const MAX_FRAME_BYTES = 100 * 1024 * 1024;

/** Frames up to this size are allocated whole as soon as their size is known. */
export const EAGER_FRAME_BYTES = 16 * 1024 * 1024;

/** Anything frames can be read from (a `Deno.Conn`, or a fake in tests). */
export interface ByteSource {
  read(p: Uint8Array): Promise<number | null>;
}

/** Reads successive frames from a {@link ByteSource}. */
export class FrameReader {
  private buf: Uint8Array;
  private start = 0;
  private end = 0;

  constructor(
    private readonly src: ByteSource,
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
    bufferSize = 64 * 1024,
    /** Where frames up to {@link EAGER_FRAME_BYTES} come from; their owner may release them. */
    private readonly pool?: BufferPool,
    /**
     * Shared bytes a frame larger than the read buffer must take before it is allocated
     * (`queued.max.request.bytes`); given back by {@link releaseAdmitted}.
     */
    private readonly admission?: {
      budget: { take(n: number, signal?: AbortSignal): Promise<void>; release(n: number): void };
      signal?: AbortSignal;
    },
  ) {
    this.buf = new Uint8Array(bufferSize);
  }

  /** Bytes the current frame took from the admission budget. */
  private admitted = 0;

  /** Gives back what the last frame took from the admission budget (once handled). */
  releaseAdmitted(): void {
    if (this.admitted === 0) return;
    this.admission?.budget.release(this.admitted);
    this.admitted = 0;
  }

  /** Bytes received but not yet returned as a frame. */
  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * The next frame's payload (without its size prefix), or null on a clean end of stream
   * between frames. Throws {@link ProtocolError} on an oversized or negative size, or when
   * the stream ends inside a frame.
   */
  async next(): Promise<Uint8Array | null> {
    if (!(await this.fill(4))) {
      if (this.buffered === 0) return null;
      throw new ProtocolError(
        `connection closed inside a frame size prefix (${this.buffered} of 4 bytes)`,
      );
    }
    const b = this.buf;
    const s = this.start;
    const size = ((b[s] << 24) | (b[s + 1] << 16) | (b[s + 2] << 8) | b[s + 3]) | 0;
    if (size < 0) throw new ProtocolError(`negative frame size ${size}`);
    if (size > this.maxFrameBytes) {
      throw new ProtocolError(
        `frame of ${size} bytes exceeds the ${this.maxFrameBytes}-byte limit`,
      );
    }
    this.start += 4;
    if (this.buffered >= size) {
      const frame = this.buf.slice(this.start, this.start + size);
      this.start += size;
      return frame;
    }
    if (this.admission && size > this.buf.length) {
      // Waits (reading nothing more from this client) until the bytes fit.
      this.releaseAdmitted();
      await this.admission.budget.take(size, this.admission.signal);
      this.admitted = size;
    }
    // Large frame: copy what is buffered, then read the remainder directly into it. Memory
    // is committed as bytes arrive (doubling past EAGER_FRAME_BYTES), so a client announcing
    // 100 MiB frames it never sends cannot make the broker allocate them.
    let frame = this.pool && size <= EAGER_FRAME_BYTES
      ? this.pool.acquire(size)
      : new Uint8Array(Math.min(size, Math.max(EAGER_FRAME_BYTES, 2 * this.buffered)));
    let filled = this.buffered;
    frame.set(this.buf.subarray(this.start, this.end));
    this.start = this.end = 0;
    while (filled < size) {
      if (filled === frame.length) {
        const grown = new Uint8Array(Math.min(size, frame.length * 2));
        grown.set(frame);
        frame = grown;
      }
      const n = await this.src.read(frame.subarray(filled));
      if (n === null) {
        throw new ProtocolError(`connection closed inside a frame: got ${filled} of ${size} bytes`);
      }
      filled += n;
    }
    return frame;
  }

  /** Ensures at least n buffered bytes; false when the stream ended first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n) {
      if (this.start > 0 && this.buf.length - this.end < n) {
        this.buf.copyWithin(0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      const got = await this.src.read(this.buf.subarray(this.end));
      if (got === null) return false;
      this.end += got;
    }
    return true;
  }
}
