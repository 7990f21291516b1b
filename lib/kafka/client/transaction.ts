/**
 * The transactional producer: InitProducerId with a transactional id (which fences every
 * older instance with that id and aborts its open transaction), AddPartitionsToTxn before
 * the first batch to a partition, AddOffsetsToTxn + TxnOffsetCommit for the consumed offsets
 * (v3 with the consumer's group metadata when the coordinator serves it, KIP-447; else the
 * highest of v0–2), and EndTxn.
 *
 * A fenced producer (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED)
 * is fatal: every later call throws that error, and the instance must be replaced.
 * CONCURRENT_TRANSACTIONS (the previous transaction is still completing) and coordinator
 * moves are retried. Any other failure inside a transaction makes it abortable: commit
 * throws, {@link TransactionalProducer.abort} recovers.
 *
 * @module
 */
import { errorInfo, KafkaClientError } from "./errors.ts";
import type { Cluster } from "./cluster.ts";
import {
  Producer,
  type ProducerOptions,
  type RecordBytes,
  type RecordHeaders,
  type TransactionHooks,
} from "./producer.ts";
import { withRetry } from "./_retry.ts";
import type { KafkaConnection } from "./connection.ts";
import type { Reader, Writer } from "../protocol/codec.ts";
import {
  ADD_PARTITIONS_TO_TXN,
  decodeAddPartitionsToTxnResponse,
  encodeAddPartitionsToTxnRequest,
} from "./apis/24_add_partitions_to_txn.ts";
import {
  ADD_OFFSETS_TO_TXN,
  decodeAddOffsetsToTxnResponse,
  encodeAddOffsetsToTxnRequest,
} from "./apis/25_add_offsets_to_txn.ts";
import { decodeEndTxnResponse, encodeEndTxnRequest, END_TXN } from "./apis/26_end_txn.ts";
import {
  decodeTxnOffsetCommitResponse,
  encodeTxnOffsetCommitRequest,
  type GroupMetadata,
  TXN_OFFSET_COMMIT,
  type TxnOffset,
} from "./apis/28_txn_offset_commit.ts";

export type { GroupMetadata, TxnOffset } from "./apis/28_txn_offset_commit.ts";

/** Options of {@link TransactionalProducer.create}. */
export interface TransactionalProducerOptions extends Omit<ProducerOptions, "acks" | "idempotent"> {
  /** Identifies the producer across restarts; a new instance fences the old one. */
  transactionalId: string;
  /** The coordinator aborts a transaction open longer than this. Default 60000. */
  transactionTimeoutMs?: number;
}

/** Where a transactional producer is. */
export type TransactionState = "ready" | "open" | "abortable" | "fatal" | "closed";

/** Codes after which a transaction cannot commit, only abort (Java's CommitFailedException). */
const ABORTABLE_OFFSET_CODES = new Set([22, 25, 82]); // ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID

/** A producer writing in transactions; see the module documentation. */
export class TransactionalProducer {
  readonly cluster: Cluster;
  readonly transactionalId: string;
  readonly transactionTimeoutMs: number;
  #producer: Producer;
  #state: TransactionState = "ready";
  #error: KafkaClientError | null = null;
  #added = new Set<string>();
  #offsetsAdded = new Set<string>();

  private constructor(cluster: Cluster, opts: TransactionalProducerOptions) {
    if (typeof opts.transactionalId !== "string" || opts.transactionalId === "") {
      throw new Error("a transactional producer needs a non-empty transactionalId");
    }
    this.cluster = cluster;
    this.transactionalId = opts.transactionalId;
    this.transactionTimeoutMs = opts.transactionTimeoutMs ?? 60_000;
    const hooks: TransactionHooks = {
      transactionalId: this.transactionalId,
      isAdded: (t, p) => this.#added.has(`${p}:${t}`),
      addPartitions: (list) => this.#addPartitions(list),
    };
    this.#producer = Producer._forTransaction(cluster, opts, hooks);
  }

  /**
   * Gets the producer id and epoch for `transactionalId`, fencing older instances (their
   * open transaction is aborted).
   */
  static async create(
    cluster: Cluster,
    opts: TransactionalProducerOptions,
  ): Promise<TransactionalProducer> {
    const tp = new TransactionalProducer(cluster, opts);
    await tp.#initProducerId();
    return tp;
  }

  async #initProducerId(): Promise<void> {
    await this.#withCoordinator(
      (node) =>
        this.#producer._initProducerId(this.transactionalId, this.transactionTimeoutMs, node),
    );
  }

  /** Producer id and epoch. */
  get producerId(): number {
    return this.#producer.producerId;
  }
  get producerEpoch(): number {
    return this.#producer.producerEpoch;
  }

  /** Where the producer is. */
  get state(): TransactionState {
    if (this.#producer.error?.fatal) this.#fatal(this.#producer.error);
    return this.#state;
  }

  /** Records appended in this transaction and not yet acknowledged. */
  get pending(): number {
    return this.#producer.pending;
  }

  /** See {@link Producer.lastOffset} (records of this transaction included, once acked). */
  lastOffset(topic: string, partition: number): number {
    return this.#producer.lastOffset(topic, partition);
  }

  /** Records acknowledged since creation (aborted ones included). */
  get acked(): number {
    return this.#producer.acked;
  }

  #fatal(err: KafkaClientError): KafkaClientError {
    if (this.#state !== "fatal") {
      this.#state = "fatal";
      this.#error = err.fatal ? err : new KafkaClientError(
        errorInfo(err.code),
        `transactional producer ${JSON.stringify(this.transactionalId)} failed: ${err.message}`,
        { cause: err, fatal: true },
      );
      this.#producer._fail(this.#error);
    }
    return this.#error!;
  }

  /** Throws unless the state is one of `allowed`. */
  #expect(what: string, ...allowed: TransactionState[]): void {
    const state = this.state;
    if (allowed.includes(state)) return;
    if (state === "fatal") throw this.#error!;
    throw new KafkaClientError(
      errorInfo(48), // INVALID_TXN_STATE
      `${what}: transactional producer ${
        JSON.stringify(this.transactionalId)
      } is ${state}, expected ${allowed.join(" or ")}`,
      this.#error ? { cause: this.#error } : undefined,
    );
  }

  /** Opens a transaction (locally: the coordinator learns of it with the first partition). */
  beginTransaction(): void {
    this.#expect("beginTransaction", "ready");
    this.#state = "open";
  }

  /** Appends one record to the open transaction; see {@link Producer.append}. */
  append(
    topic: string,
    partition: number | null,
    key: RecordBytes,
    value: RecordBytes,
    headers?: RecordHeaders,
    timestamp?: number,
  ): void {
    this.#expect("append", "open");
    try {
      this.#producer.append(topic, partition, key, value, headers, timestamp);
    } catch (err) {
      throw this.#onError(err);
    }
  }

  /** See {@link Producer.ready}: backpressure for a loop appending to the open transaction. */
  async ready(maxPending: number): Promise<void> {
    try {
      await this.#producer.ready(maxPending);
    } catch (err) {
      throw this.#onError(err);
    }
  }

  /** Sends everything appended so far and waits for it to be acknowledged. */
  async flush(): Promise<void> {
    this.#expect("flush", "open", "ready");
    try {
      await this.#producer.flush();
    } catch (err) {
      throw this.#onError(err);
    }
  }

  /** Classifies a failure inside the transaction: fatal when fenced, else abortable. */
  #onError(err: unknown): KafkaClientError {
    const e = err instanceof KafkaClientError
      ? err
      : KafkaClientError.network(`transaction ${this.transactionalId}`, err);
    if (e.fatal) return this.#fatal(e);
    if (this.#state === "open") this.#state = "abortable";
    this.#error = e;
    return e;
  }

  /**
   * Runs `fn` against the transaction coordinator, finding it again after NOT_COORDINATOR or
   * COORDINATOR_NOT_AVAILABLE, and retrying CONCURRENT_TRANSACTIONS.
   */
  async #withCoordinator<T>(fn: (node: number) => Promise<T>): Promise<T> {
    return await withRetry(async () => {
      const node = await this.cluster.coordinator("transaction", this.transactionalId);
      try {
        return await fn(node);
      } catch (err) {
        if (err instanceof KafkaClientError && (err.code === 15 || err.code === 16)) {
          this.cluster.forgetCoordinator("transaction", this.transactionalId);
        }
        throw err;
      }
    }, { timeoutMs: this.cluster.retryTimeoutMs, backoffMs: 20, maxBackoffMs: 500 }).catch(
      (err) => {
        throw err instanceof KafkaClientError && err.fatal ? this.#fatal(err) : err;
      },
    );
  }

  async #request<T>(
    node: number,
    api: { key: number; version: number },
    name: string,
    body: (w: Writer) => void,
    decode: (r: Reader) => T,
  ): Promise<T> {
    const conn: KafkaConnection = await this.cluster.connection(node, "txn");
    const v = conn.pickVersion(api.key, api.version, api.version, name);
    return decode(await conn.request(api.key, v, body));
  }

  async #addPartitions(list: ReadonlyArray<readonly [string, number]>): Promise<void> {
    const want = list.filter(([t, p]) => !this.#added.has(`${p}:${t}`));
    if (want.length === 0) return;
    const topics = new Map<string, number[]>();
    for (const [t, p] of want) {
      const l = topics.get(t);
      if (l) l.push(p);
      else topics.set(t, [p]);
    }
    await this.#withCoordinator(async (node) => {
      const results = await this.#request(
        node,
        ADD_PARTITIONS_TO_TXN,
        "AddPartitionsToTxn",
        (w) =>
          encodeAddPartitionsToTxnRequest(
            w,
            this.transactionalId,
            this.producerId,
            this.producerEpoch,
            topics,
          ),
        decodeAddPartitionsToTxnResponse,
      );
      // OPERATION_NOT_ATTEMPTED (55) marks the partitions held back by another's error.
      const failed = results.find(([, , code]) => code !== 0 && code !== 55) ??
        results.find(([, , code]) => code !== 0);
      if (failed) {
        throw KafkaClientError.fromCode(
          failed[2],
          `AddPartitionsToTxn ${failed[0]}[${failed[1]}] for ${
            JSON.stringify(this.transactionalId)
          }`,
        );
      }
    });
    for (const [t, p] of want) this.#added.add(`${p}:${t}`);
  }

  /**
   * Commits the consumed `offsets` of `group` as part of the transaction. `group` carries the
   * consumer's generation, member id and group instance id: with TxnOffsetCommit v3 the
   * coordinator refuses offsets from a stale member (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
   * FENCED_INSTANCE_ID: the transaction must then abort).
   */
  async sendOffsets(group: GroupMetadata, offsets: readonly TxnOffset[]): Promise<void> {
    this.#expect("sendOffsets", "open");
    try {
      if (!this.#offsetsAdded.has(group.groupId)) {
        await this.#withCoordinator(async (node) => {
          const code = await this.#request(
            node,
            ADD_OFFSETS_TO_TXN,
            "AddOffsetsToTxn",
            (w) =>
              encodeAddOffsetsToTxnRequest(
                w,
                this.transactionalId,
                this.producerId,
                this.producerEpoch,
                group.groupId,
              ),
            decodeAddOffsetsToTxnResponse,
          );
          if (code !== 0) {
            throw KafkaClientError.fromCode(code, `AddOffsetsToTxn for group ${group.groupId}`);
          }
        });
        this.#offsetsAdded.add(group.groupId);
      }
      if (offsets.length === 0) return;
      await withRetry(async () => {
        const node = await this.cluster.coordinator("group", group.groupId);
        const conn = await this.cluster.connection(node, "txn");
        const v = conn.pickVersion(
          TXN_OFFSET_COMMIT.key,
          TXN_OFFSET_COMMIT.minVersion,
          TXN_OFFSET_COMMIT.maxVersion,
          "TxnOffsetCommit",
        );
        const results = decodeTxnOffsetCommitResponse(
          await conn.request(
            TXN_OFFSET_COMMIT.key,
            v,
            (w) =>
              encodeTxnOffsetCommitRequest(
                w,
                v,
                this.transactionalId,
                this.producerId,
                this.producerEpoch,
                group,
                offsets,
              ),
            { flexible: v >= 3 },
          ),
        );
        const failed = results.find(([, , code]) => code !== 0);
        if (failed) {
          if (failed[2] === 15 || failed[2] === 16) {
            this.cluster.forgetCoordinator("group", group.groupId);
          }
          throw KafkaClientError.fromCode(
            failed[2],
            `TxnOffsetCommit ${failed[0]}[${failed[1]}] for group ${group.groupId}`,
          );
        }
      }, { timeoutMs: this.cluster.retryTimeoutMs, backoffMs: 20, maxBackoffMs: 500 });
    } catch (err) {
      const e = this.#onError(err);
      if (ABORTABLE_OFFSET_CODES.has(e.code) && !e.fatal) {
        throw new KafkaClientError(
          errorInfo(e.code),
          `${e.message} (this member is no longer in the group's generation; abort the transaction)`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  async #endTxn(commit: boolean): Promise<void> {
    await this.#withCoordinator(async (node) => {
      const code = await this.#request(
        node,
        END_TXN,
        "EndTxn",
        (w) =>
          encodeEndTxnRequest(w, this.transactionalId, this.producerId, this.producerEpoch, commit),
        decodeEndTxnResponse,
      );
      if (code !== 0) {
        throw KafkaClientError.fromCode(
          code,
          `EndTxn (${commit ? "commit" : "abort"}) for ${JSON.stringify(this.transactionalId)}`,
        );
      }
    });
  }

  /** Waits for every record, then commits. Throws (and the transaction must abort) on failure. */
  async commit(): Promise<void> {
    this.#expect("commit", "open");
    try {
      await this.#producer.flush();
      if (this.#added.size > 0 || this.#offsetsAdded.size > 0) await this.#endTxn(true);
    } catch (err) {
      throw this.#onError(err);
    }
    this.#added.clear();
    this.#offsetsAdded.clear();
    this.#state = "ready";
  }

  /**
   * Drops what was not sent, waits for what is in flight, and aborts. After a batch failed
   * inside the transaction the producer gets a new epoch (sequence numbers restart).
   */
  async abort(): Promise<void> {
    this.#expect("abort", "open", "abortable");
    let failedBatch = this.#producer.error !== null;
    try {
      // A dropped retry may have left a gap in the sequence numbers too.
      if (await this.#producer._discardUnsent()) failedBatch = true;
      if (this.#producer.error !== null) failedBatch = true;
      if (this.#added.size > 0 || this.#offsetsAdded.size > 0) await this.#endTxn(false);
      if (failedBatch) {
        this.#producer._resetAfterAbort();
        await this.#initProducerId();
      }
    } catch (err) {
      const e = err instanceof KafkaClientError ? err : KafkaClientError.network("abort", err);
      throw e.fatal ? this.#fatal(e) : e;
    }
    this.#added.clear();
    this.#offsetsAdded.clear();
    this.#error = null;
    this.#state = "ready";
  }

  /**
   * Stops. An open transaction is left to the coordinator, which aborts it when the next
   * instance with this id starts, or after the transaction timeout.
   */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    await this.#producer.close().catch(() => {});
  }
}
