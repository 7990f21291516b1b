/**
 * Idempotent-producer state of one partition: per producer id, its epoch and the last five
 * batches' sequence ranges (Kafka `ProducerStateEntry`, NUM_BATCHES_TO_RETAIN = 5).
 *
 * @module
 */
import { ErrorCode, KafkaError } from "../../kafka/protocol/errors.ts";

const INT32_MAX = 2147483647;
const RETAIN = 5;

/** Last sequence of a batch, wrapping at INT32_MAX as the clients do. */
export function lastSequence(firstSeq: number, lastOffsetDelta: number): number {
  const s = firstSeq + lastOffsetDelta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

interface Entry {
  epoch: number;
  batches: BatchMeta[];
}

/** Sequence/epoch bookkeeping for all producers of one partition. */
export class ProducerStates {
  private entries = new Map<number, Entry>();

  /**
   * Checks an incoming idempotent batch. Returns the original base offset when it duplicates
   * one of the last five batches, -1 when it is new and in order. Throws
   * INVALID_PRODUCER_EPOCH for a stale epoch, OUT_OF_ORDER_SEQUENCE_NUMBER for a gap.
   * An unknown producer (or one without retained batches) is accepted with any sequence (KIP-360).
   */
  check(pid: number, epoch: number, firstSeq: number, lastSeq: number, where: string): number {
    const e = this.entries.get(pid);
    if (!e) return -1;
    if (epoch < e.epoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `${where}: producer ${pid} epoch ${epoch} is older than ${e.epoch}`,
      );
    }
    if (epoch > e.epoch) {
      if (firstSeq !== 0) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `${where}: producer ${pid} new epoch ${epoch} must start at sequence 0, got ${firstSeq}`,
        );
      }
      return -1;
    }
    for (const b of e.batches) {
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return b.baseOffset;
    }
    if (e.batches.length === 0) return -1;
    const last = e.batches[e.batches.length - 1].lastSeq;
    const expected = last === INT32_MAX ? 0 : last + 1;
    if (firstSeq !== expected) {
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `${where}: producer ${pid} epoch ${epoch} sent sequence ${firstSeq}, expected ${expected}`,
      );
    }
    return -1;
  }

  /** Records an appended batch. */
  record(pid: number, epoch: number, firstSeq: number, lastSeq: number, baseOffset: number): void {
    let e = this.entries.get(pid);
    if (!e || e.epoch !== epoch) {
      e = { epoch, batches: [] };
      this.entries.set(pid, e);
    }
    e.batches.push({ firstSeq, lastSeq, baseOffset });
    if (e.batches.length > RETAIN) e.batches.shift();
  }

  /** A transaction marker with a newer epoch fences older ones and resets sequences. */
  bumpEpoch(pid: number, epoch: number): void {
    const e = this.entries.get(pid);
    if (!e || epoch > e.epoch) this.entries.set(pid, { epoch, batches: [] });
  }

  /** Current epoch of a producer, or undefined. */
  epochOf(pid: number): number | undefined {
    return this.entries.get(pid)?.epoch;
  }
}
