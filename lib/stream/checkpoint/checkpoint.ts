/**
 * Checkpoints: what has been processed since the last commit, when the next commit is due,
 * and the commit itself in the order that makes at-least-once hold:
 *
 * 1. sinks flush; 2. `state.prepareCheckpoint()` (changelog records are produced);
 * 3. the producer is flushed (every output and changelog record is acknowledged);
 * 4. input offsets are committed; 5. `state.flush(committed)` persists local state.
 *
 * A crash anywhere before 4 leaves the offsets where they were, so the input is reprocessed:
 * outputs may repeat, none are lost.
 *
 * @module
 */

import type { Logger } from "../../util/log.ts";
import type { StateBackend } from "../state/types.ts";
import type { Sink } from "../types.ts";

/** A processed position: the next offset to read for a topic partition. */
export interface Position {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Everything a checkpoint commit touches. */
export interface CheckpointParticipants {
  readonly sinks: Iterable<Sink>;
  readonly state: Pick<StateBackend, "prepareCheckpoint" | "flush" | "discard">;
  /** Waits until every produced message is acknowledged; rejects on delivery failure. */
  flushProducer(): Promise<void>;
  /**
   * Commits offsets; resolves false when the commit was refused (e.g. after a rebalance).
   * Called with no positions too: exactly-once then still ends open transactions.
   */
  commitOffsets(positions: Position[]): Promise<boolean>;
}

/** Tracks progress between commits and decides when a commit is due. */
export class Checkpoint {
  #positions = new Map<string, Position>();
  #processed = 0;
  #openedAt = Date.now();

  constructor(
    /** Commit at least this often (ms); 0 = after every message. */
    readonly commitInterval: number,
    /** Also commit after this many input messages (0 = off). */
    readonly commitEvery: number,
  ) {}

  /** Input messages processed since the last commit. */
  get processed(): number {
    return this.#processed;
  }

  /** Records that `count` messages up to `offset` of `topic[partition]` are fully processed. */
  record(topic: string, partition: number, offset: number, count = 1): void {
    this.#positions.set(`${topic}:${partition}`, { topic, partition, offset: offset + 1 });
    this.#processed += count;
  }

  /** True when a commit should run now. */
  due(now: number = Date.now()): boolean {
    if (this.#processed === 0) return false;
    if (this.commitEvery > 0 && this.#processed >= this.commitEvery) return true;
    return now - this.#openedAt >= this.commitInterval;
  }

  /** Forgets positions of partitions no longer assigned (their commits would be refused). */
  drop(topic: string, partition: number): void {
    this.#positions.delete(`${topic}:${partition}`);
  }

  /**
   * Runs the commit sequence. On success (or a refused commit) a new checkpoint opens; a
   * failure before the offset commit rejects and keeps the positions for a retry.
   */
  async commit(p: CheckpointParticipants, logger: Logger): Promise<void> {
    const positions = [...this.#positions.values()];
    for (const sink of p.sinks) await sink.flush();
    await p.state.prepareCheckpoint(
      new Map(positions.map((x) => [`${x.topic}:${x.partition}`, x.offset])),
    );
    await p.flushProducer();
    const committed = await p.commitOffsets(positions);
    this.#positions = new Map();
    this.#processed = 0;
    this.#openedAt = Date.now();
    if (!committed) {
      // The group moves on from the last committed offsets (kafkajs refetches from them after
      // the rebalance), so state must too: keeping these changes would count them twice.
      p.state.discard?.();
    } else {
      await p.state.flush(new Map(positions.map((x) => [`${x.topic}:${x.partition}`, x.offset])));
      if (positions.length) {
        logger.debug(
          `checkpoint committed ${
            positions.map((x) => `${x.topic}[${x.partition}]=${x.offset}`).join(" ")
          }`,
        );
      }
    }
  }
}
