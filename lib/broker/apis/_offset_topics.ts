/**
 * Reads the `[topic [partition offset metadata]]` array that OffsetCommit (v2–5) and
 * TxnOffsetCommit (v0–1) share.
 *
 * @module
 */
import type { Reader } from "../protocol/codec.ts";
import type { OffsetEntry } from "../groups/coordinator.ts";

/** One topic of a commit request, with its entries in request order. */
export interface OffsetTopic {
  /** Topic name. */
  name: string;
  /** The partitions to commit, each carrying its topic name. */
  partitions: OffsetEntry[];
}

/** Reads the topics array of an offset commit request. */
export function readOffsetTopics(body: Reader): OffsetTopic[] {
  return body.array((r) => {
    const name = r.string();
    return {
      name,
      partitions: r.array((r): OffsetEntry => ({
        topic: name,
        partition: r.int32(),
        offset: r.int64(),
        metadata: r.nullableString(),
      })),
    };
  });
}
