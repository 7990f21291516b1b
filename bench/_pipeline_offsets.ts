/**
 * End offsets as `read_uncommitted` sees them (the high watermark), for `bench/pipeline.ts`.
 * kafkajs' admin asks ListOffsets for `read_committed` (the last stable offset), so rows an
 * exactly-once app wrote into its open transaction would only count once the checkpoint
 * commits it, and the run would measure the commit interval instead of the processing. One
 * ListOffsets v2 request on one connection to the (single-node) broker, with the project's
 * codec.
 *
 * @module
 */
import { Reader, Writer } from "../lib/kafka/protocol/codec.ts";

const LIST_OFFSETS = 2;

/** A connection that asks one topic's summed high watermarks, one request at a time. */
export class HighWatermarks {
  #correlation = 0;
  #pending = new Uint8Array(0);

  private constructor(readonly conn: Deno.Conn) {}

  static async open(address: string): Promise<HighWatermarks> {
    const colon = address.lastIndexOf(":");
    const conn = await Deno.connect({
      hostname: address.slice(0, colon),
      port: Number(address.slice(colon + 1)),
    });
    return new HighWatermarks(conn);
  }

  /** Sum of the high watermarks of `partitions` of `topic` (-1 if the topic is unknown). */
  async sum(topic: string, partitions: number): Promise<number> {
    const id = ++this.#correlation;
    const w = new Writer();
    w.int32(0).int16(LIST_OFFSETS).int16(2).int32(id).nullableString("bench");
    w.int32(-1).int8(0); // replica id, isolation level read_uncommitted
    w.int32(1).string(topic).int32(partitions);
    for (let p = 0; p < partitions; p++) w.int32(p).int64(-1n); // -1: latest
    w.patchInt32(0, w.pos - 4);
    const req = w.finish();
    for (let at = 0; at < req.length;) at += await this.conn.write(req.subarray(at));
    const body = await this.#frame();
    const r = new Reader(body);
    if (r.int32() !== id) throw new Error("ListOffsets: correlation id mismatch");
    r.int32(); // throttle time
    let total = 0;
    for (let t = r.int32(); t > 0; t--) {
      r.string();
      for (let n = r.int32(); n > 0; n--) {
        r.int32();
        const error = r.int16();
        r.int64();
        const offset = r.int64();
        if (error !== 0) return -1;
        total += offset;
      }
    }
    return total;
  }

  async #frame(): Promise<Uint8Array> {
    const chunk = new Uint8Array(64 * 1024);
    for (;;) {
      const p = this.#pending;
      if (p.length >= 4) {
        const size = new DataView(p.buffer, p.byteOffset).getInt32(0);
        if (p.length >= 4 + size) {
          this.#pending = p.slice(4 + size);
          return p.subarray(4, 4 + size);
        }
      }
      const n = await this.conn.read(chunk);
      if (n === null) throw new Error("ListOffsets: the broker closed the connection");
      const next = new Uint8Array(p.length + n);
      next.set(p);
      next.set(chunk.subarray(0, n), p.length);
      this.#pending = next;
    }
  }

  close(): void {
    this.conn.close();
  }
}
