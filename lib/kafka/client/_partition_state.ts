/**
 * The producer's bookkeeping per partition: its open batch, closed batches waiting to be
 * sent, batches in flight and sequence numbers.
 *
 * @module
 */
import type { BatchBuilder } from "./_batch_builder.ts";

/** A closed batch: encoded (`bytes`) when first sent, kept as is for retries. */
export interface Batch {
  readonly state: PartitionState;
  readonly builder: BatchBuilder;
  bytes: Uint8Array | null;
  baseSequence: number;
  readonly count: number;
  readonly deadline: number;
}

/** One partition as the producer sees it. */
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  open: BatchBuilder | null;
  /** Closed batches not yet sent (retried ones first, in sequence order). */
  queue: Batch[];
  inFlight: number;
  nextSequence: number;
  /** A batch failed retriably: send nothing new until every batch in flight is back. */
  recovering: boolean;
  openedAt: number;
  /** Offset of the last record acknowledged (-1: none yet, or unknown with acks 0). */
  lastOffset: number;
}

/** Fresh states for `partitions` of `topic`, indexed by partition number. */
export function newPartitionStates(topic: string, partitions: readonly number[]): PartitionState[] {
  return partitions.map((partition) => ({
    topic,
    partition,
    open: null,
    queue: [],
    inFlight: 0,
    nextSequence: 0,
    recovering: false,
    openedAt: 0,
    lastOffset: -1,
  }));
}

/** Puts a batch back in its partition's queue, before later sequences (retries keep theirs). */
export function requeue(b: Batch): void {
  const q = b.state.queue;
  let i = 0;
  while (i < q.length && q[i].bytes !== null && q[i].baseSequence < b.baseSequence) i++;
  q.splice(i, 0, b);
}

/** Batches in flight over every partition. */
export function inFlight(topics: Iterable<PartitionState[]>): number {
  let n = 0;
  for (const states of topics) for (const s of states) n += s.inFlight;
  return n;
}

/** Forgets every partition's sequence numbers (a new producer id or epoch restarts them). */
export function resetSequences(topics: Iterable<PartitionState[]>): void {
  for (const states of topics) {
    for (const s of states) {
      s.nextSequence = 0;
      s.recovering = false;
    }
  }
}
