/**
 * Responses written in bounded pieces (Fetch): the small encoded parts and the record batches
 * read from the segment files go out through one chunk buffer, filled and written as the
 * socket drains. However large the response, and however slowly its client reads, it holds
 * one chunk of memory while it is written (and nothing but its small parts before that).
 *
 * @module
 */
import type { BatchStream } from "./log/batch_stream.ts";
import type { BrokerStats } from "./stats.ts";

/**
 * Most bytes of the buffer a streamed response is written through: a client's usual 1 MiB
 * fetch goes out in one write (256 KiB chunks cost kcat a third of its consume rate).
 */
export const STREAM_CHUNK_BYTES = 1024 * 1024;

/** A response body made of encoded parts and record batches still on disk. */
export interface StreamedBody {
  /** Bytes of the whole body. */
  readonly size: number;
  /** The body in order: encoded bytes, or batches read as they are written. */
  readonly parts: readonly (Uint8Array | BatchStream)[];
}

/** Whether a handler's result is a {@link StreamedBody}. */
export function isStreamed(x: unknown): x is StreamedBody {
  return typeof x === "object" && x !== null && "parts" in x && "size" in x;
}

/** Lets go of the files a body still holds (written, or dropped unsent). Idempotent. */
export function releaseBody(body: StreamedBody): void {
  for (const p of body.parts) if (!(p instanceof Uint8Array)) p.release();
}

/** Where a streamed response goes: `write` may write fewer bytes than given, as a socket. */
export interface ByteSink {
  write(p: Uint8Array): Promise<number>;
}

async function writeAll(sink: ByteSink, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await sink.write(data.subarray(off));
}

/**
 * Writes `head` (the frame header) and then `body` through `buf`; served batches are counted
 * in `stats`. Throws if the body does not add up to its announced size (the frame would be
 * corrupt).
 */
export async function writeStreamed(
  sink: ByteSink,
  head: Uint8Array,
  body: StreamedBody,
  buf: Uint8Array,
  stats: BrokerStats,
): Promise<void> {
  let fill = 0;
  let total = 0;
  const flush = async () => {
    if (fill > 0) await writeAll(sink, buf.subarray(0, fill));
    fill = 0;
  };
  const put = async (bytes: Uint8Array) => {
    if (bytes.length > buf.length - fill) {
      await flush();
      if (bytes.length > buf.length) return await writeAll(sink, bytes);
    }
    buf.set(bytes, fill);
    fill += bytes.length;
  };
  await put(head);
  try {
    for (const part of body.parts) {
      if (part instanceof Uint8Array) {
        await put(part);
        total += part.length;
        continue;
      }
      while (!part.done) {
        const space = buf.subarray(fill);
        const { n, batches } = part.readInto(space, fill === 0);
        if (n === 0) {
          await flush();
          continue;
        }
        if (batches) stats.countServed(space.subarray(0, n));
        else stats.bytesOut += n;
        fill += n;
        total += n;
        if (fill === buf.length) await flush();
      }
    }
    if (total !== body.size) {
      throw new Error(`streamed response size mismatch: wrote ${total} of ${body.size} bytes`);
    }
    await flush();
  } finally {
    releaseBody(body);
  }
}
