/**
 * Reads the `[topic [partition offset leader_epoch? metadata]]` array that OffsetCommit and
 * TxnOffsetCommit share (compact and tagged in flexible versions: set `body.flexible`).
 *
 * @module
 */
import type { Reader } from "../../kafka/protocol/codec.ts";
import type { OffsetEntry } from "../groups/coordinator.ts";

/** One topic of a commit request, with its entries in request order. */
export interface OffsetTopic {
  /** Topic name. */
  name: string;
  /** The partitions to commit, each carrying its topic name. */
  partitions: OffsetEntry[];
}

/**
 * Reads the topics array of an offset commit request; `leaderEpoch` when the version carries
 * `committed_leader_epoch` (OffsetCommit v6+, TxnOffsetCommit v2+).
 */
export function readOffsetTopics(body: Reader, leaderEpoch = false): OffsetTopic[] {
  return body.fArray((r) => {
    const name = r.fString();
    const partitions = r.fArray((r): OffsetEntry => {
      const partition = r.int32();
      const offset = r.int64();
      const epoch = leaderEpoch ? r.int32() : -1;
      const metadata = r.fNullableString();
      r.fTags();
      return { topic: name, partition, offset, metadata, leaderEpoch: epoch };
    });
    r.fTags();
    return { name, partitions };
  });
}
