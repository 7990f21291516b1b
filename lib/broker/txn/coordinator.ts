/**
 * The transaction coordinator: producer ids (idempotent and transactional), producer epochs
 * and fencing, and the transaction state machine
 * Empty → Ongoing → PrepareCommit/PrepareAbort → CompleteCommit/CompleteAbort.
 *
 * Every state change is journaled to `<dataDir>/__txn/transactions.jsonl` and synced before
 * the request is answered. EndTxn first records PrepareCommit/PrepareAbort (with the staged
 * group offsets, on commit), then writes a control marker to every partition of the
 * transaction via `PartitionLog.appendControl`, then applies or drops the staged offsets,
 * then records the Complete state. A restart finds a Prepare state and finishes it; markers
 * are only written where the partition still has the producer's transaction open, so a
 * finished partition never gets a second marker. An Ongoing transaction older than its
 * timeout is aborted with an epoch bump, fencing the producer that let it expire.
 *
 * @module
 */
import { ErrorCode } from "../../kafka/protocol/errors.ts";
import type { Logger } from "../../util/log.ts";
import { Journal } from "../groups/journal.ts";
import type { GroupCoordinator, OffsetEntry } from "../groups/coordinator.ts";
import { realTimers, type Timers } from "../groups/timers.ts";
import { ProducerIdAllocator } from "./producer_ids.ts";
import { type TxnLogs, writeMarkers } from "./markers.ts";
import { key, type Txn, type TxnRecord, type TxnState, unkey, validTxnRecord } from "./records.ts";

export type { TxnLogs, TxnPartitionLog } from "./markers.ts";
export type { TxnState };

/** Kafka's `transaction.max.timeout.ms` default. */
export const MAX_TRANSACTION_TIMEOUT_MS = 900_000;
/** Epochs run up to this; the next bump allocates a fresh producer id (as Kafka). */
const MAX_EPOCH = 32766;
/** How often a decided (Prepare) transaction whose completion failed, e.g. at a full disk, retries. */
export const COMPLETE_RETRY_MS = 1000;

/** Options for {@link TransactionCoordinator.open}. */
export interface TransactionCoordinatorOptions {
  dataDir: string;
  logs: TxnLogs;
  groups: GroupCoordinator;
  logger: Logger;
  /** Timer source; tests pass a manual one. */
  timers?: Timers;
  /** Journal sync policy (default "always"). */
  fsync?: "always" | "interval";
}

/** InitProducerId's answer. */
export interface ProducerIdResult {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

/** Result of validating a transactional request against the coordinator's state. */
type Checked = { txn: Txn; error: 0 } | { txn: null; error: number };

/** Coordinates idempotent and transactional producers; see the module doc. */
export class TransactionCoordinator {
  #txns = new Map<string, Txn>();
  #ids: ProducerIdAllocator;
  #journal: Journal<TxnRecord>;
  #logs: TxnLogs;
  #groups: GroupCoordinator;
  #timers: Timers;
  #logger: Logger;
  #closed = false;
  #compacting: Promise<void> | null = null;
  /** Transactions whose Prepare record is being written (EndTxn in flight). */
  #ending = new Set<Txn>();

  private constructor(
    ids: ProducerIdAllocator,
    journal: Journal<TxnRecord>,
    opts: TransactionCoordinatorOptions,
    logger: Logger,
  ) {
    this.#ids = ids;
    this.#journal = journal;
    this.#logs = opts.logs;
    this.#groups = opts.groups;
    this.#timers = opts.timers ?? realTimers();
    this.#logger = logger;
  }

  /** Loads producer ids and transaction state from `<dataDir>/__txn/` and recovers. */
  static async open(opts: TransactionCoordinatorOptions): Promise<TransactionCoordinator> {
    const logger = opts.logger.child("txn");
    const dir = `${opts.dataDir}/__txn`;
    const ids = await ProducerIdAllocator.open(dir);
    const records = new Map<string, TxnRecord>();
    const journal = await Journal.open<TxnRecord>({
      path: `${dir}/transactions.jsonl`,
      logger,
      sync: opts.fsync ?? "always",
      validate: validTxnRecord,
      replay: (r) => records.set(r.id, r),
    });
    const c = new TransactionCoordinator(ids, journal, opts, logger);
    const now = c.#timers.now();
    for (const r of records.values()) {
      c.#txns.set(r.id, {
        id: r.id,
        producerId: r.pid,
        epoch: r.epoch,
        timeoutMs: r.timeoutMs,
        state: r.state,
        partitions: new Set(r.partitions.map(([t, p]) => key(t, p))),
        groups: new Set(r.groups),
        startedAt: now,
        timer: null,
        offsets: r.offsets ?? null,
      });
    }
    for (const txn of c.#txns.values()) {
      if (txn.state === "PrepareCommit" || txn.state === "PrepareAbort") {
        logger.info(`transaction ${txn.id}: finishing ${txn.state} interrupted by a restart`);
        await c.#completeOrRetry(txn, txn.state === "PrepareCommit");
      } else if (txn.state === "Ongoing") {
        c.#armTimeout(txn);
      }
    }
    logger.info(`loaded ${c.#txns.size} transactional ids, next producer id ${ids.peek}`);
    return c;
  }

  #record(txn: Txn): TxnRecord {
    const r: TxnRecord = {
      id: txn.id,
      pid: txn.producerId,
      epoch: txn.epoch,
      timeoutMs: txn.timeoutMs,
      state: txn.state,
      partitions: [...txn.partitions].map(unkey),
      groups: [...txn.groups],
    };
    if (txn.offsets) r.offsets = txn.offsets;
    return r;
  }

  /** Journals `txn` (with `patch` applied, for a state it enters only once durable). */
  async #persist(txn: Txn, patch?: Partial<TxnRecord>): Promise<void> {
    await this.#journal.append([{ ...this.#record(txn), ...patch }]);
    if (!this.#compacting && this.#journal.records > 2 * this.#txns.size + 10_000) {
      const snapshot = [...this.#txns.values()].map((t) => this.#record(t));
      this.#compacting = this.#journal.rewrite(snapshot).catch((e) => {
        this.#logger.error(`transaction journal compaction failed: ${(e as Error).message}`);
      }).finally(() => this.#compacting = null);
    }
  }

  // ---- InitProducerId ------------------------------------------------------------------------

  /** InitProducerId: a fresh id for idempotent producers; an epoch bump for transactional ones. */
  async initProducerId(
    transactionalId: string | null,
    timeoutMs: number,
  ): Promise<ProducerIdResult> {
    const fail = (e: { code: number }) => ({
      errorCode: e.code,
      producerId: -1,
      producerEpoch: -1,
    });
    if (this.#closed) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    try {
      return await this.#initProducerId(transactionalId, timeoutMs, fail);
    } catch (e) {
      // A full disk: answer a retriable error; the journal and memory still agree.
      this.#logger.error(
        `InitProducerId ${transactionalId ?? "(idempotent)"} failed: ${(e as Error).message}`,
      );
      return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }

  async #initProducerId(
    transactionalId: string | null,
    timeoutMs: number,
    fail: (e: { code: number }) => ProducerIdResult,
  ): Promise<ProducerIdResult> {
    if (transactionalId === null) {
      return { errorCode: 0, producerId: await this.#ids.allocate(), producerEpoch: 0 };
    }
    if (transactionalId === "") return fail(ErrorCode.INVALID_REQUEST);
    if (timeoutMs <= 0 || timeoutMs > MAX_TRANSACTION_TIMEOUT_MS) {
      return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    }
    let txn = this.#txns.get(transactionalId);
    if (!txn) {
      const producerId = await this.#ids.allocate();
      // Another InitProducerId for the same id may have won the race during the await.
      txn = this.#txns.get(transactionalId);
      if (!txn) {
        txn = {
          id: transactionalId,
          producerId,
          epoch: 0,
          timeoutMs,
          state: "Empty",
          partitions: new Set(),
          groups: new Set(),
          startedAt: 0,
          timer: null,
          offsets: null,
        };
        this.#txns.set(transactionalId, txn);
        try {
          await this.#persist(txn);
        } catch (e) {
          if (this.#txns.get(transactionalId) === txn) this.#txns.delete(transactionalId);
          throw e;
        }
        this.#logger.info(`transactional id ${transactionalId}: producer id ${producerId} epoch 0`);
        return { errorCode: 0, producerId, producerEpoch: 0 };
      }
    }
    // Also while EndTxn journals its decision (still Ongoing in memory): aborting then would
    // race the commit, whose markers and offsets could land after the new owner read them.
    if (txn.state === "PrepareCommit" || txn.state === "PrepareAbort" || this.#ending.has(txn)) {
      return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    const wasOngoing = txn.state === "Ongoing";
    const before = { producerId: txn.producerId, epoch: txn.epoch, timeoutMs: txn.timeoutMs };
    try {
      await this.#bumpEpoch(txn);
      txn.timeoutMs = timeoutMs;
      if (wasOngoing) {
        this.#logger.info(
          `transactional id ${transactionalId}: re-initialised with a transaction open, aborting it`,
        );
        await this.#end(txn, false);
      } else {
        await this.#persist(txn);
      }
    } catch (e) {
      // Not durable, so not acknowledged: the old producer is not fenced.
      if (txn.state === "Ongoing" || !wasOngoing) Object.assign(txn, before);
      throw e;
    }
    this.#logger.info(
      `transactional id ${transactionalId}: producer id ${txn.producerId} epoch ${txn.epoch}`,
    );
    return { errorCode: 0, producerId: txn.producerId, producerEpoch: txn.epoch };
  }

  async #bumpEpoch(txn: Txn): Promise<void> {
    if (txn.epoch >= MAX_EPOCH) {
      // Markers for an open transaction must carry the old id, so only switch ids when idle.
      if (txn.state !== "Ongoing") {
        txn.producerId = await this.#ids.allocate();
        txn.epoch = 0;
        return;
      }
    }
    txn.epoch++;
  }

  // ---- validation ------------------------------------------------------------------------------

  #check(transactionalId: string, producerId: number, epoch: number): Checked {
    if (this.#closed) return { txn: null, error: ErrorCode.COORDINATOR_NOT_AVAILABLE.code };
    const txn = this.#txns.get(transactionalId);
    if (!txn || txn.producerId !== producerId) {
      return { txn: null, error: ErrorCode.INVALID_PRODUCER_ID_MAPPING.code };
    }
    if (txn.epoch !== epoch) return { txn: null, error: ErrorCode.INVALID_PRODUCER_EPOCH.code };
    if (
      txn.state === "PrepareCommit" || txn.state === "PrepareAbort" || this.#ending.has(txn)
    ) {
      return { txn: null, error: ErrorCode.CONCURRENT_TRANSACTIONS.code };
    }
    return { txn, error: 0 };
  }

  #begin(txn: Txn): void {
    if (txn.state === "Ongoing") return;
    txn.state = "Ongoing";
    txn.startedAt = this.#timers.now();
    this.#armTimeout(txn);
  }

  /** Undoes {@link #begin} when the Ongoing state could not be journaled. */
  #unbegin(txn: Txn): void {
    if (txn.timer !== null) this.#timers.clear(txn.timer);
    txn.timer = null;
    txn.state = "Empty";
  }

  #armTimeout(txn: Txn, ms = txn.timeoutMs): void {
    if (txn.timer !== null) this.#timers.clear(txn.timer);
    const epoch = txn.epoch;
    txn.timer = this.#timers.set(() => {
      txn.timer = null;
      if (txn.state !== "Ongoing" || txn.epoch !== epoch || this.#closed) return;
      this.#logger.warn(
        `transaction ${txn.id} (producer ${txn.producerId}) exceeded its ${txn.timeoutMs} ms timeout, aborting and fencing the producer`,
      );
      this.#bumpEpoch(txn).then(() => this.#end(txn, false)).catch((e) => {
        this.#logger.error(
          `transaction ${txn.id}: timeout abort failed: ${
            (e as Error).message
          }, retrying in ${COMPLETE_RETRY_MS} ms`,
        );
        if (txn.state === "Ongoing" && !this.#closed) this.#armTimeout(txn, COMPLETE_RETRY_MS);
      });
    }, ms);
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn / TxnOffsetCommit -----------------------------------

  /** AddPartitionsToTxn: one error code per partition. */
  async addPartitions(
    transactionalId: string,
    producerId: number,
    epoch: number,
    topics: { topic: string; partitions: number[] }[],
  ): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    const flat = topics.flatMap((t) =>
      t.partitions.map((partition) => ({ topic: t.topic, partition }))
    );
    const { txn, error } = this.#check(transactionalId, producerId, epoch);
    if (!txn) return flat.map((p) => ({ ...p, errorCode: error }));
    const unknown = flat.filter((p) => !this.#logs.partition(p.topic, p.partition));
    if (unknown.length > 0) {
      // Kafka adds nothing when any partition is bad; the others are "not attempted".
      const bad = new Set(unknown.map((p) => key(p.topic, p.partition)));
      return flat.map((p) => ({
        ...p,
        errorCode: bad.has(key(p.topic, p.partition))
          ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code
          : ErrorCode.OPERATION_NOT_ATTEMPTED.code,
      }));
    }
    const added = flat.map((p) => key(p.topic, p.partition)).filter((k) => !txn.partitions.has(k));
    for (const k of added) txn.partitions.add(k);
    const wasOngoing = txn.state === "Ongoing";
    this.#begin(txn);
    try {
      await this.#persist(txn);
    } catch (e) {
      this.#logger.error(`AddPartitionsToTxn ${transactionalId} failed: ${(e as Error).message}`);
      for (const k of added) txn.partitions.delete(k);
      if (!wasOngoing && txn.partitions.size === 0 && txn.groups.size === 0) this.#unbegin(txn);
      return flat.map((p) => ({ ...p, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE.code }));
    }
    return flat.map((p) => ({ ...p, errorCode: 0 }));
  }

  /** AddOffsetsToTxn: lets the transaction commit offsets of `groupId`. */
  async addOffsets(
    transactionalId: string,
    producerId: number,
    epoch: number,
    groupId: string,
  ): Promise<number> {
    if (groupId === "") return ErrorCode.INVALID_GROUP_ID.code;
    const { txn, error } = this.#check(transactionalId, producerId, epoch);
    if (!txn) return error;
    const added = !txn.groups.has(groupId);
    txn.groups.add(groupId);
    const wasOngoing = txn.state === "Ongoing";
    this.#begin(txn);
    try {
      await this.#persist(txn);
    } catch (e) {
      this.#logger.error(`AddOffsetsToTxn ${transactionalId} failed: ${(e as Error).message}`);
      if (added) txn.groups.delete(groupId);
      if (!wasOngoing && txn.partitions.size === 0 && txn.groups.size === 0) this.#unbegin(txn);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE.code;
    }
    return 0;
  }

  /**
   * TxnOffsetCommit: stages offsets until EndTxn; one error code per entry. With `member`
   * (v3, KIP-447), a consumer no longer in the group's current generation is refused, so a
   * replica that lost its partitions cannot commit their offsets.
   */
  txnOffsetCommit(
    transactionalId: string,
    groupId: string,
    producerId: number,
    epoch: number,
    entries: OffsetEntry[],
    member?: { generationId: number; memberId: string; groupInstanceId: string | null },
  ): number[] {
    const { txn, error } = this.#check(transactionalId, producerId, epoch);
    if (!txn) return entries.map(() => error);
    if (txn.state !== "Ongoing" || !txn.groups.has(groupId)) {
      return entries.map(() => ErrorCode.INVALID_TXN_STATE.code);
    }
    if (member) {
      const code = this.#groups.validateTxnCommit(
        groupId,
        member.generationId,
        member.memberId,
        member.groupInstanceId,
      );
      if (code !== 0) return entries.map(() => code);
    }
    return this.#groups.stageTxnOffsets(groupId, producerId, entries);
  }

  /**
   * Whether a transactional produce to this partition is allowed: it was added to the open
   * transaction of this producer id and, when `producerEpoch` is given, the epoch is current
   * (a fenced zombie must not write into its successor's transaction).
   */
  isPartitionInTxn(
    transactionalId: string,
    producerId: number,
    topic: string,
    partition: number,
    producerEpoch?: number,
  ): boolean {
    const txn = this.#txns.get(transactionalId);
    return !!txn && txn.producerId === producerId && txn.state === "Ongoing" &&
      (producerEpoch === undefined || producerEpoch === txn.epoch) &&
      txn.partitions.has(key(topic, partition));
  }

  /**
   * The error for a transactional produce: 0 when allowed; INVALID_PRODUCER_EPOCH when the
   * producer id is this transactional id's but the epoch is older than the current one (a fenced
   * zombie: checked first, as Kafka does, because clients treat it as fatal and stop);
   * INVALID_TXN_STATE when the partition was not added to the open transaction.
   */
  produceError(
    transactionalId: string,
    producerId: number,
    topic: string,
    partition: number,
    producerEpoch: number,
  ): number {
    const txn = this.#txns.get(transactionalId);
    if (txn && txn.producerId === producerId && producerEpoch < txn.epoch) {
      return ErrorCode.INVALID_PRODUCER_EPOCH.code;
    }
    return this.isPartitionInTxn(transactionalId, producerId, topic, partition, producerEpoch)
      ? 0
      : ErrorCode.INVALID_TXN_STATE.code;
  }

  /** The state of a transactional id, for tests and diagnostics. */
  describe(transactionalId: string):
    | { producerId: number; epoch: number; state: TxnState; partitions: number; groups: number }
    | undefined {
    const t = this.#txns.get(transactionalId);
    return t && {
      producerId: t.producerId,
      epoch: t.epoch,
      state: t.state,
      partitions: t.partitions.size,
      groups: t.groups.size,
    };
  }

  // ---- EndTxn -----------------------------------------------------------------------------------

  /** EndTxn: commits or aborts the open transaction. */
  async endTxn(
    transactionalId: string,
    producerId: number,
    epoch: number,
    commit: boolean,
  ): Promise<number> {
    const { txn, error } = this.#check(transactionalId, producerId, epoch);
    if (!txn) return error;
    if (txn.state === "CompleteCommit" || txn.state === "CompleteAbort") {
      // A retried EndTxn with the same outcome succeeds again.
      return (txn.state === "CompleteCommit") === commit ? 0 : ErrorCode.INVALID_TXN_STATE.code;
    }
    if (txn.state !== "Ongoing") return ErrorCode.INVALID_TXN_STATE.code;
    try {
      await this.#end(txn, commit);
    } catch (e) {
      // The Prepare record is not on disk: nothing changed, the client may retry.
      this.#logger.error(`EndTxn ${transactionalId} failed: ${(e as Error).message}`);
      return ErrorCode.COORDINATOR_NOT_AVAILABLE.code;
    }
    return 0;
  }

  /**
   * Journals the decision (Prepare state, with the staged offsets on commit) before any
   * state changes, so a failed write leaves the transaction Ongoing with its offsets staged.
   * Once decided, a failed completion retries every {@link COMPLETE_RETRY_MS} on its own.
   */
  async #end(txn: Txn, commit: boolean): Promise<void> {
    const state: TxnState = commit ? "PrepareCommit" : "PrepareAbort";
    // The staged offsets stay staged (pending for require_stable fetches) until #complete
    // applies or drops them; no TxnOffsetCommit can add to them meanwhile (#check).
    const staged = new Map<string, OffsetEntry[]>();
    for (const g of txn.groups) {
      const entries = this.#groups.peekTxnOffsets(g, txn.producerId);
      if (entries.length > 0) staged.set(g, entries);
    }
    const offsets = commit ? Object.fromEntries(staged) : null;
    this.#ending.add(txn);
    try {
      await this.#persist(txn, offsets ? { state, offsets } : { state });
    } finally {
      this.#ending.delete(txn);
    }
    if (txn.timer !== null) this.#timers.clear(txn.timer);
    txn.timer = null;
    txn.state = state;
    txn.offsets = offsets;
    await this.#completeOrRetry(txn, commit);
  }

  async #completeOrRetry(txn: Txn, commit: boolean): Promise<void> {
    try {
      await this.#complete(txn, commit);
    } catch (e) {
      this.#logger.error(
        `transaction ${txn.id}: completing the ${commit ? "commit" : "abort"} failed (${
          (e as Error).message
        }), retrying in ${COMPLETE_RETRY_MS} ms`,
      );
      if (this.#closed) return; // the Prepare record is durable: a restart finishes it
      txn.timer = this.#timers.set(() => {
        txn.timer = null;
        if (this.#closed) return;
        void this.#completeOrRetry(txn, commit);
      }, COMPLETE_RETRY_MS);
    }
  }

  async #complete(txn: Txn, commit: boolean): Promise<void> {
    const markers = await writeMarkers(this.#logs, txn, commit, this.#logger);
    if (commit && txn.offsets) {
      for (const [g, entries] of Object.entries(txn.offsets)) {
        await this.#groups.applyTxnOffsets(g, entries);
      }
    }
    for (const g of txn.groups) this.#groups.takeTxnOffsets(g, txn.producerId);
    try {
      await this.#persist(txn, {
        state: commit ? "CompleteCommit" : "CompleteAbort",
        partitions: [],
        groups: [],
        offsets: undefined,
      });
    } catch (e) {
      // Everything is applied; only the record is missing, and a restart redoes the
      // (idempotent) completion from the Prepare record.
      this.#logger.warn(
        `transaction ${txn.id}: Complete state not journaled (${(e as Error).message})`,
      );
    }
    txn.state = commit ? "CompleteCommit" : "CompleteAbort";
    txn.partitions.clear();
    txn.groups.clear();
    txn.offsets = null;
    this.#logger.debug(
      `transaction ${txn.id} (producer ${txn.producerId} epoch ${txn.epoch}) ${
        commit ? "committed" : "aborted"
      }, ${markers} markers`,
    );
  }

  /** Stops transaction timers and closes the journal (open transactions stay open on disk). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#txns.values()) {
      if (t.timer !== null) this.#timers.clear(t.timer);
      t.timer = null;
    }
    if (this.#compacting) await this.#compacting;
    await this.#journal.close();
  }
}
