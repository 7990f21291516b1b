/**
 * The producer: records are encoded straight into one RecordBatch buffer per partition
 * (`_batch_builder.ts`, no object per record), batches are sent to each partition's leader,
 * many requests in flight per connection, and acknowledged per batch.
 *
 * - A partition's open batch is closed when it is full (`batchBytes`), when the partition may
 *   send (fewer than `maxInFlight` batches in flight) after `lingerMs`, or on {@link flush}.
 *   While a partition's batches are in flight, its next batch keeps growing: under load,
 *   batches get larger by themselves.
 * - Idempotence (default): a producer id and epoch from InitProducerId and per-partition
 *   sequence numbers, assigned when a batch is first sent and kept on retries, so the broker
 *   drops a retried batch it already wrote. After a retriable failure a partition sends
 *   again only once its other batches are back, in sequence order.
 * - Retriable errors (leader moved, timeouts, lost connections) are retried until
 *   `deliveryTimeoutMs`; anything else fails the producer: every later call throws that
 *   error, so output is never silently lost. A fenced producer's error is `fatal`.
 *
 * @module
 */
import type { Writer } from "../protocol/codec.ts";
import { errorInfo, KafkaClientError } from "./errors.ts";
import type { Cluster } from "./cluster.ts";
import {
  BatchBuilder,
  COMPRESSION_CODE,
  type CompressionName,
  type RecordBytes,
  type RecordHeaders,
} from "./_batch_builder.ts";
import { keyPartition } from "./partitioner.ts";
import {
  decodeProduceResponse,
  encodeProduceRequest,
  PRODUCE,
  type ProduceTopic,
} from "./apis/00_produce.ts";
import { initProducerId } from "./_producer_id.ts";
import {
  type Batch,
  inFlight,
  newPartitionStates,
  type PartitionState,
  requeue,
  resetSequences,
} from "./_partition_state.ts";

import type { ProducerOptions, ProducerRecord, TransactionHooks } from "./_producer_options.ts";

export type { CompressionName, RecordBytes, RecordHeaders } from "./_batch_builder.ts";
export type { ProducerOptions, ProducerRecord, TransactionHooks };

const RETRY_BACKOFF_MS = 100;
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/**
 * Builders kept for reuse (their buffers keep their pages), at most this many bytes per
 * producer: the runtime runs one transactional producer per input partition.
 */
const MAX_FREE_BYTES = 8 * 1024 * 1024;

/** Sends records to a cluster; see the module documentation. */
export class Producer {
  readonly cluster: Cluster;
  readonly acks: number;
  readonly idempotent: boolean;
  #compression: CompressionName;
  #lingerMs: number;
  #batchBytes: number;
  #maxInFlight: number;
  #ackTimeoutMs: number;
  #deliveryTimeoutMs: number;
  #autoCreate: boolean;
  #txn: TransactionHooks | null = null;
  #producerId = -1;
  #producerEpoch = -1;
  #topics = new Map<string, PartitionState[]>();
  #sticky = new Map<string, number>();
  /** Records waiting for their topic's metadata (the first records of a topic only). */
  #waiting = new Map<
    string,
    [number | null, RecordBytes, RecordBytes, RecordHeaders | undefined, number][]
  >();
  #freeBuilders: BatchBuilder[] = [];
  #freeBytes = 0;
  #outstanding = 0;
  #acked = 0;
  #error: KafkaClientError | null = null;
  #idleWaiters: (() => void)[] = [];
  #capacityWaiters: (() => void)[] = [];
  #drainScheduled = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #flushing = 0;
  #adding = false;
  #closed = false;

  protected constructor(cluster: Cluster, opts: ProducerOptions) {
    this.cluster = cluster;
    this.acks = opts.acks ?? -1;
    this.idempotent = (opts.idempotent ?? true) && this.acks === -1;
    if (opts.idempotent && this.acks !== -1) {
      throw new Error(`an idempotent producer needs acks -1, got ${this.acks}`);
    }
    this.#compression = opts.compression ?? "none";
    if (!(this.#compression in COMPRESSION_CODE)) {
      throw new Error(
        `producer compression ${JSON.stringify(opts.compression)} is not one of ${
          Object.keys(COMPRESSION_CODE).join(", ")
        }`,
      );
    }
    for (
      const [name, v, min] of [
        ["lingerMs", opts.lingerMs, 0],
        ["batchBytes", opts.batchBytes, 64],
        ["maxInFlight", opts.maxInFlight, 1],
        ["ackTimeoutMs", opts.ackTimeoutMs, 1],
        ["deliveryTimeoutMs", opts.deliveryTimeoutMs, 1],
      ] as const
    ) {
      if (v !== undefined && !(Number.isInteger(v) && v >= min)) {
        throw new Error(`producer option ${name} must be an integer >= ${min}, got ${v}`);
      }
    }
    if (![-1, 0, 1].includes(this.acks)) {
      throw new Error(`producer option acks must be -1, 0 or 1, got ${this.acks}`);
    }
    this.#lingerMs = opts.lingerMs ?? 0;
    this.#batchBytes = opts.batchBytes ?? 256 * 1024;
    this.#maxInFlight = this.idempotent
      ? Math.min(5, opts.maxInFlight ?? 5)
      : opts.maxInFlight ?? 5;
    this.#ackTimeoutMs = opts.ackTimeoutMs ?? 30_000;
    this.#deliveryTimeoutMs = opts.deliveryTimeoutMs ?? 120_000;
    this.#autoCreate = opts.allowAutoTopicCreation ?? true;
  }

  /** A producer on `cluster`; an idempotent one gets its producer id first. */
  static async create(cluster: Cluster, opts: ProducerOptions = {}): Promise<Producer> {
    const p = new Producer(cluster, opts);
    if (p.idempotent) await p._initProducerId(null, 0);
    return p;
  }

  /** Producer id and epoch (-1 when not idempotent). */
  get producerId(): number {
    return this.#producerId;
  }
  get producerEpoch(): number {
    return this.#producerEpoch;
  }

  /** Records appended and not yet acknowledged (or failed). */
  get pending(): number {
    return this.#outstanding;
  }

  /** Records acknowledged since creation. */
  get acked(): number {
    return this.#acked;
  }

  /**
   * Offset of the last record of `topic[partition]` this producer got acknowledged, or -1
   * (nothing yet; acks 0 learns no offsets). E.g. where a changelog stands after a flush.
   */
  lastOffset(topic: string, partition: number): number {
    return this.#topics.get(topic)?.[partition]?.lastOffset ?? -1;
  }

  /** The error that failed the producer, if any. */
  get error(): KafkaClientError | null {
    return this.#error;
  }

  /** @internal A producer for the transactional producer (it gets the producer id itself). */
  static _forTransaction(
    cluster: Cluster,
    opts: ProducerOptions,
    hooks: TransactionHooks,
  ): Producer {
    const p = new Producer(cluster, { ...opts, acks: -1, idempotent: true });
    p.#txn = hooks;
    return p;
  }

  /** @internal Fails the producer with `err` (e.g. the transaction coordinator fenced it). */
  _fail(err: KafkaClientError): void {
    this.#fail(err);
  }

  /**
   * @internal After an aborted transaction that failed a batch: forget the error and the
   * sequence numbers (the caller gets a new epoch, which starts them at 0 again).
   */
  _resetAfterAbort(): void {
    this.#error = null;
    resetSequences(this.#topics.values());
  }

  /** @internal InitProducerId on `nodeId`'s connection (the transaction coordinator) or any. */
  async _initProducerId(
    transactionalId: string | null,
    transactionTimeoutMs: number,
    nodeId?: number,
  ): Promise<void> {
    const res = await initProducerId(this.cluster, transactionalId, transactionTimeoutMs, nodeId);
    this.#producerId = res.producerId;
    this.#producerEpoch = res.producerEpoch;
  }

  #check(): void {
    if (this.#error) throw this.#error;
    if (this.#closed) throw new KafkaClientError(errorInfo(-1), "the producer is closed");
  }

  /**
   * Appends one record (no promise per record: {@link flush} reports delivery). `partition`
   * null picks one: by key hash when there is a key, else the topic's current sticky one.
   * Throws the producer's error once it failed.
   */
  append(
    topic: string,
    partition: number | null,
    key: RecordBytes,
    value: RecordBytes,
    headers?: RecordHeaders,
    timestamp: number = Date.now(),
  ): void {
    this.#check();
    this.#outstanding++;
    this.#append(topic, partition, key, value, headers, timestamp);
  }

  #append(
    topic: string,
    partition: number | null,
    key: RecordBytes,
    value: RecordBytes,
    headers: RecordHeaders | undefined,
    timestamp: number,
  ): void {
    let states = this.#topics.get(topic);
    if (!states) {
      const meta = this.cluster.cachedTopic(topic);
      if (!meta) return this.#await(topic, partition, key, value, headers, timestamp);
      states = newPartitionStates(topic, meta.partitions.map((p) => p.partition));
      this.#topics.set(topic, states);
    }
    let p: number;
    if (partition !== null) {
      p = partition;
      if (!(p >= 0 && p < states.length)) {
        this.#outstanding--;
        throw new KafkaClientError(
          errorInfo(3),
          `${topic} has no partition ${partition} (it has ${states.length})`,
        );
      }
    } else if (key != null) p = keyPartition(key, states.length);
    else {
      p = this.#sticky.get(topic) ?? Math.floor(Math.random() * states.length);
      this.#sticky.set(topic, p);
    }
    const s = states[p];
    let b = s.open;
    if (!b) {
      const free = this.#freeBuilders.pop();
      if (free) this.#freeBytes -= free.buffer.length;
      b = s.open = free ?? new BatchBuilder();
      s.openedAt = Date.now();
    }
    b.append(key, value, headers, timestamp);
    if (b.size >= this.#batchBytes) {
      this.#close(s);
      // A new sticky partition for unkeyed records once a batch is full (KIP-480).
      if (partition === null && key == null) this.#sticky.set(topic, (p + 1) % states.length);
    }
    this.#schedule();
  }

  /** Holds records of a topic whose metadata is not known yet, and asks for it. */
  #await(
    topic: string,
    partition: number | null,
    key: RecordBytes,
    value: RecordBytes,
    headers: RecordHeaders | undefined,
    timestamp: number,
  ): void {
    let list = this.#waiting.get(topic);
    if (list) {
      list.push([partition, key, value, headers, timestamp]);
      return;
    }
    list = [[partition, key, value, headers, timestamp]];
    this.#waiting.set(topic, list);
    this.cluster.topic(topic, { allowAutoTopicCreation: this.#autoCreate }).then(
      () => {
        if (this.#waiting.get(topic) !== list) return; // discarded meanwhile
        this.#waiting.delete(topic);
        try {
          for (const [p, k, v, h, t] of list) this.#append(topic, p, k, v, h, t);
        } catch (err) {
          this.#fail(err as KafkaClientError);
        }
      },
      (err) => {
        if (this.#waiting.get(topic) !== list) return;
        this.#waiting.delete(topic);
        this.#outstanding -= list.length;
        this.#fail(
          err instanceof KafkaClientError
            ? err
            : KafkaClientError.network(`metadata for ${topic}`, err),
        );
      },
    );
  }

  /** Appends records and resolves once they (and everything appended before) are acknowledged. */
  async send(topic: string, records: readonly ProducerRecord[]): Promise<void> {
    for (const r of records) {
      this.append(topic, r.partition ?? null, r.key, r.value, r.headers, r.timestamp ?? Date.now());
    }
    await this.flush();
  }

  /**
   * Sends everything appended so far and resolves once all of it is acknowledged. Rejects
   * with the producer's error once it failed (and keeps rejecting).
   */
  async flush(): Promise<void> {
    this.#check();
    if (this.#outstanding === 0) return;
    this.#flushing++;
    try {
      this.#drain();
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    } finally {
      this.#flushing--;
    }
    if (this.#error) throw this.#error;
  }

  /**
   * Resolves once at most `maxPending` records are unacknowledged (backpressure for a loop
   * that appends faster than the cluster takes). Sends what is buffered meanwhile; rejects
   * with the producer's error once it failed.
   */
  async ready(maxPending: number): Promise<void> {
    this.#check();
    if (this.#outstanding <= maxPending) return;
    this.#flushing++;
    try {
      this.#drain();
      while (this.#outstanding > maxPending && !this.#error) {
        await new Promise<void>((resolve) => this.#capacityWaiters.push(resolve));
      }
    } finally {
      this.#flushing--;
    }
    if (this.#error) throw this.#error;
  }

  /**
   * After a failure that was not fatal (e.g. MESSAGE_TOO_LARGE) and that the application
   * chose to skip: waits for the batches still in flight, then continues with a new producer
   * id (the failed batch left a gap in its sequence numbers). The failed records are lost;
   * records appended but not yet sent are kept. Not for transactional producers (they abort).
   */
  async recover(): Promise<void> {
    const err = this.#error;
    if (!err) return;
    if (err.fatal || this.#txn) throw err;
    while (inFlight(this.#topics.values()) > 0) {
      await new Promise<void>((resolve) => this.#capacityWaiters.push(resolve));
    }
    resetSequences(this.#topics.values());
    if (this.idempotent) await this._initProducerId(null, 0);
    this.#error = null;
    this.#drain();
  }

  /** Flushes, then stops; later calls throw. Does not close the cluster. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      if (!this.#error) await this.flush();
    } finally {
      this.#closed = true;
      if (this.#timer) clearTimeout(this.#timer);
    }
  }

  /**
   * @internal Drops every record not yet sent (open and queued batches) and waits for the
   * batches in flight. For aborting a transaction. Returns whether a dropped batch had been
   * sent before (a retry): its sequence numbers may then be missing on the broker.
   */
  async _discardUnsent(): Promise<boolean> {
    let sentBefore = false;
    for (const states of this.#topics.values()) {
      for (const s of states) {
        if (s.open) {
          this.#outstanding -= s.open.count;
          this.#release(s.open);
          s.open = null;
        }
        for (const b of s.queue) {
          this.#outstanding -= b.count;
          if (b.bytes !== null) sentBefore = true;
          this.#release(b.builder);
        }
        s.queue = [];
      }
    }
    for (const list of this.#waiting.values()) this.#outstanding -= list.length;
    this.#waiting.clear();
    while (this.#outstanding > 0) await new Promise<void>((r) => this.#idleWaiters.push(r));
    return sentBefore;
  }

  #fail(err: KafkaClientError): void {
    if (!this.#error) this.#error = err;
    this.#wakeIdle(true);
  }

  #wakeIdle(force = false): void {
    if (this.#capacityWaiters.length > 0) {
      for (const w of this.#capacityWaiters.splice(0)) w();
    }
    if (!force && this.#outstanding > 0) return;
    for (const w of this.#idleWaiters.splice(0)) w();
  }

  #release(b: BatchBuilder): void {
    const n = b.buffer.length;
    if (n <= 2 * this.#batchBytes && this.#freeBytes + n <= MAX_FREE_BYTES) {
      b.reset();
      this.#freeBuilders.push(b);
      this.#freeBytes += n;
    }
  }

  #close(s: PartitionState): void {
    const b = s.open!;
    s.open = null;
    s.queue.push({
      state: s,
      builder: b,
      bytes: null,
      baseSequence: -1,
      count: b.count,
      deadline: Date.now() + this.#deliveryTimeoutMs,
    });
  }

  #schedule(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    queueMicrotask(() => {
      this.#drainScheduled = false;
      this.#drain();
    });
  }

  #scheduleTimer(ms: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#drain();
    }, ms);
  }

  /**
   * Closes the batches that may go, then sends one request per leader (one batch per
   * partition each, as Produce v3+ requires), again while partitions have more to send.
   */
  #drain(): void {
    if (this.#error || this.#closed) return;
    const now = Date.now();
    const toAdd: [string, number][] = [];
    const missing = new Set<string>();
    let lingering = Infinity;
    for (let round = 0;; round++) {
      const byLeader = new Map<number, Batch[]>();
      for (const states of this.#topics.values()) {
        for (const s of states) {
          const canSend = s.inFlight < this.#maxInFlight && !(s.recovering && s.inFlight > 0);
          if (s.open && s.queue.length === 0 && canSend) {
            const waited = now - s.openedAt;
            if (this.#flushing > 0 || waited >= this.#lingerMs) this.#close(s);
            else lingering = Math.min(lingering, this.#lingerMs - waited);
          }
          if (!canSend || s.queue.length === 0) continue;
          if (this.#txn && !this.#txn.isAdded(s.topic, s.partition)) {
            if (round === 0) toAdd.push([s.topic, s.partition]);
            continue;
          }
          const meta = this.cluster.cachedTopic(s.topic);
          const leader = meta?.partitions[s.partition]?.leader ?? -1;
          if (leader < 0) {
            missing.add(s.topic);
            continue;
          }
          s.recovering = false;
          const batch = s.queue.shift()!;
          const list = byLeader.get(leader);
          if (list) list.push(batch);
          else byLeader.set(leader, [batch]);
        }
      }
      if (byLeader.size === 0) break;
      for (const [leader, batches] of byLeader) this.#sendTo(leader, batches);
    }
    if (toAdd.length > 0 && !this.#adding) {
      this.#adding = true;
      this.#txn!.addPartitions(toAdd).then(
        () => {
          this.#adding = false;
          this.#drain();
        },
        (err) => {
          this.#adding = false;
          this.#fail(
            err instanceof KafkaClientError
              ? err
              : KafkaClientError.network("AddPartitionsToTxn", err),
          );
        },
      );
    }
    if (missing.size > 0) {
      const retry = () => this.#scheduleTimer(RETRY_BACKOFF_MS);
      this.cluster.refresh([...missing]).then(retry, retry);
    }
    if (lingering !== Infinity) this.#scheduleTimer(lingering);
  }

  #sendTo(leader: number, batches: Batch[]): void {
    // Sequence numbers are given when a batch is first sent, so dropped batches leave no gap.
    let bytes = 0;
    let i = 0;
    for (; i < batches.length; i++) {
      const b = batches[i];
      if (b.bytes === null) {
        const s = b.state;
        if (this.idempotent) {
          b.baseSequence = s.nextSequence;
          s.nextSequence = (s.nextSequence + b.count) % 0x80000000;
        }
        b.bytes = b.builder.finish({
          producerId: this.#producerId,
          producerEpoch: this.#producerEpoch,
          baseSequence: b.baseSequence,
          transactional: this.#txn !== null,
        }, this.#compression);
      }
      if (i > 0 && bytes + b.bytes.length > MAX_REQUEST_BYTES) break;
      bytes += b.bytes.length;
      b.state.inFlight++;
    }
    const now = batches.slice(0, i);
    if (i < batches.length) {
      // The rest go in the next request to this leader.
      this.#sendTo(leader, batches.slice(i));
    }
    const topics = new Map<string, ProduceTopic>();
    for (const b of now) {
      let t = topics.get(b.state.topic);
      if (!t) topics.set(b.state.topic, t = { topic: b.state.topic, partitions: [] });
      t.partitions.push({ partition: b.state.partition, batch: b.bytes! });
    }
    const body = (w: Writer) =>
      encodeProduceRequest(w, this.#txn?.transactionalId ?? null, this.acks, this.#ackTimeoutMs, [
        ...topics.values(),
      ]);
    this.cluster.connection(leader, "produce").then((conn) => {
      const v = conn.pickVersion(PRODUCE.key, PRODUCE.version, PRODUCE.version, "Produce");
      return conn.request(PRODUCE.key, v, body, {
        sizeHint: bytes + 64 + 32 * now.length,
        noResponse: this.acks === 0,
        timeoutMs: this.#ackTimeoutMs + this.cluster.requestTimeoutMs,
      });
    }).then(
      (r) => {
        if (this.acks === 0) {
          for (const b of now) this.#done(b);
        } else {
          const res = decodeProduceResponse(r);
          for (const b of now) {
            const p = res.get(b.state.topic)?.find((x) => x.partition === b.state.partition);
            this.#answered(b, p ? p.errorCode : 13, p ? p.baseOffset : -1);
          }
        }
        this.#drain();
      },
      (err) => {
        const e = err instanceof KafkaClientError
          ? err
          : KafkaClientError.network(`produce to broker ${leader}`, err);
        for (const b of now) this.#retryOrFail(b, e);
        this.#drain();
      },
    );
  }

  #answered(b: Batch, code: number, baseOffset: number): void {
    // DUPLICATE_SEQUENCE_NUMBER: the broker already has this batch (a retry of a lost answer).
    if (code === 0 || code === 46) {
      if (code === 0 && baseOffset >= 0) {
        const last = baseOffset + b.count - 1;
        if (last > b.state.lastOffset) b.state.lastOffset = last;
      }
      return this.#done(b);
    }
    const s = b.state;
    // A batch behind a failed one is refused out of order: it is resent after it.
    if (code === 45 && s.recovering) {
      return this.#retryOrFail(
        b,
        KafkaClientError.fromCode(code, `produce to ${s.topic}[${s.partition}]`),
      );
    }
    const err = KafkaClientError.fromCode(code, `produce to ${s.topic}[${s.partition}]`);
    if (err.retriable) {
      if (code === 6 || code === 3 || code === 5) this.cluster.invalidate(s.topic);
      return this.#retryOrFail(b, err);
    }
    s.inFlight--;
    this.#outstanding -= b.count;
    this.#fail(err);
    this.#wakeIdle();
  }

  #done(b: Batch): void {
    b.state.inFlight--;
    this.#outstanding -= b.count;
    this.#acked += b.count;
    this.#release(b.builder);
    this.#wakeIdle();
  }

  #retryOrFail(b: Batch, err: KafkaClientError): void {
    const s = b.state;
    s.inFlight--;
    if (this.#error) {
      // Failed already: nothing more is sent; the batch is counted out.
      this.#outstanding -= b.count;
      return this.#wakeIdle();
    }
    if (!err.retriable && !(err.code === 45 && s.recovering)) {
      this.#outstanding -= b.count;
      return this.#fail(err);
    }
    if (Date.now() >= b.deadline) {
      this.#outstanding -= b.count;
      return this.#fail(
        new KafkaClientError(
          errorInfo(7),
          `delivery of ${b.count} record(s) to ${s.topic}[${s.partition}] timed out after ${this.#deliveryTimeoutMs} ms: ${err.message}`,
          { cause: err },
        ),
      );
    }
    s.recovering = true;
    requeue(b);
    this.#scheduleTimer(RETRY_BACKOFF_MS);
  }
}
