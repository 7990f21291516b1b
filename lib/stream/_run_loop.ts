/**
 * The run loop of an {@link Application}: consumes in batches, processes each message through
 * the compiled pipeline, produces, and commits through checkpoints; under exactly-once, one
 * transaction per claimed input partition (see docs/exactly_once.md).
 *
 * @module
 */

import type {
  Admin,
  Consumer,
  EachBatchPayload,
  KafkaMessage,
  Producer as KafkaProducer,
  ProducerRecord,
} from "kafkajs";
import type { Logger } from "../util/log.ts";
import { Checkpoint, type Position } from "./checkpoint/checkpoint.ts";
import {
  type DataFrameRegistry,
  type Emit,
  ExecContext,
  type PipelineTimer,
  type Runtime,
} from "./dataframe/_pipeline.ts";
import { DEAD_LETTER_HEADERS, ProcessingError, SerializationError, StreamError } from "./errors.ts";
import { createKafka, destroyLeftoverSockets, toBuffer } from "./kafka/_kafka.ts";
import { BatchingProducer, encodeMessage } from "./kafka/producer.ts";
import { partitionTransactionalId, PartitionTxn } from "./kafka/_partition_txn.ts";
import { changelogTopicName } from "./state/changelog.ts";
import { advertisingRoundRobin } from "./kafka/_assigner.ts";
import type { Topic } from "./topic.ts";
import type { MessageHeaders, Sink } from "./types.ts";
import { InterruptTracker } from "../util/signals.ts";
import { BackpressureGate } from "./sinks/backpressure.ts";

import type { Application, ApplicationOptions, ErrorCallback } from "./application.ts";

/** A minimal async mutex: processing, timers, rebalances and checkpoints never interleave. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  lock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.then(() => {}, () => {});
    return run;
  }
}

export interface RunnerHooks {
  commitInterval: number;
  commitEvery: number;
  /** A producer; with a transactional id (exactly-once), one input partition's. */
  kafkaProducer(kafka: ReturnType<typeof createKafka>, transactionalId?: string): KafkaProducer;
  ensureTopics(kafka: ReturnType<typeof createKafka>): Promise<void>;
  setStop(fn: () => void): void;
}

/** One `run()`: owns the kafkajs clients, the compiled pipelines and the checkpoint. */
export class Runner {
  readonly #logger: Logger;
  readonly #ctx: ExecContext;
  readonly #sinks = new Set<Sink>();
  readonly #timers: PipelineTimer[] = [];
  readonly #mutex = new Mutex();
  readonly #assigned = new Set<string>();
  readonly #checkpoint: Checkpoint;
  #compiled!: Map<string, Emit>;
  /** At-least-once: the run's one producer. */
  #producer: BatchingProducer | null = null;
  /** Where outputs of the message (or timer) being processed go. */
  #out!: BatchingProducer;
  #consumer!: Consumer;
  #stopping = false;
  #fatal: Error | null = null;
  #wake!: () => void;
  #commitWarned = false;
  readonly #eos: boolean;
  /** Exactly-once: the transaction of each claimed input partition ("topic:partition"). */
  readonly #parts = new Map<string, PartitionTxn>();
  /** Exactly-once: changelog topic → its source topic (changelog partition = input partition). */
  readonly #changelogSources = new Map<string, string>();
  #kafka!: ReturnType<typeof createKafka>;
  /** Exactly-once: reads committed offsets after a partition is claimed. */
  #admin: Admin | null = null;
  /** Pauses the input while a sink is backpressured (see `sinks/backpressure.ts`). */
  readonly #sinkGate: BackpressureGate;

  constructor(
    readonly app: Application,
    readonly options: ApplicationOptions,
    readonly registry: DataFrameRegistry,
    readonly topics: Map<string, Topic>,
    readonly hooks: RunnerHooks,
  ) {
    this.#logger = app.logger;
    this.#ctx = new ExecContext(app.state);
    this.#checkpoint = new Checkpoint(hooks.commitInterval, hooks.commitEvery);
    this.#eos = options.processingGuarantee === "exactly-once";
    this.#sinkGate = new BackpressureGate(
      () => this.#consumer,
      () => [...registry.streams.keys()],
      this.#logger,
    );
  }

  /**
   * Exactly-once: takes an input partition (see `kafka/_partition_txn.ts`). InitProducerId
   * with the partition's transactional id fences its previous owner and aborts that owner's
   * open transaction; only then is the committed offset read, and the consumer sought there
   * unless the batch at hand (`firstOffset`) starts there. Null when the broker cannot be
   * reached: the next batch of the partition tries again.
   */
  async #claim(
    topic: string,
    partition: number,
    firstOffset?: number,
  ): Promise<PartitionTxn | null> {
    const tp = `${topic}:${partition}`;
    const id = partitionTransactionalId(this.app.consumerGroup, topic, partition);
    try {
      const part = await PartitionTxn.claim(
        topic,
        partition,
        this.hooks.kafkaProducer(this.#kafka, id),
        () => this.#committedOffset(topic, partition),
        this.#logger,
      );
      this.#parts.set(tp, part);
      if (part.next !== null && part.next !== firstOffset) {
        this.#consumer.seek({ topic, partition, offset: String(part.next) });
      }
      this.#logger.debug(`claimed ${tp} (transactional id ${id}, committed ${part.next})`);
      return part;
    } catch (e) {
      this.#logger.warn(
        `exactly-once: cannot claim ${tp} yet (${
          (e as Error).message
        }); retrying with its next batch`,
      );
      return null;
    }
  }

  async #committedOffset(topic: string, partition: number): Promise<number> {
    if (!this.#admin) {
      const admin = this.#kafka.admin();
      await admin.connect();
      this.#admin = admin;
    }
    const res = await this.#admin.fetchOffsets({
      groupId: this.app.consumerGroup,
      topics: [topic],
    });
    const p = res[0]?.partitions.find((x) => x.partition === partition);
    return p ? Number(p.offset) : -1;
  }

  /**
   * Exactly-once: gives up a partition whose transaction failed (fenced by a new owner, or
   * the broker went away): its open transaction is aborted, its uncommitted state changes are
   * dropped, and its checkpoint position forgotten. If it is still ours, its next batch
   * claims it again and resumes from the committed offset; no output past it survives.
   */
  async #dropPart(part: PartitionTxn, why: string): Promise<void> {
    const tp = `${part.topic}:${part.partition}`;
    if (this.#parts.get(tp) === part) this.#parts.delete(tp);
    await part.close(this.#logger);
    this.#checkpoint.drop(part.topic, part.partition);
    this.#ctx.forgetPartition(part.topic, part.partition);
    if (this.#assigned.delete(tp)) await this.app.state.revoke(part.topic, part.partition);
    this.#logger.warn(`exactly-once: ${tp}: ${why}; its uncommitted work is discarded`);
  }

  /** Exactly-once: a changelog record goes into its input partition's transaction. */
  #changelogSend(record: ProducerRecord) {
    const partition = record.messages[0]?.partition;
    const source = this.#changelogSources.get(record.topic);
    const part = this.#parts.get(`${source}:${partition}`);
    if (!part) {
      return Promise.reject(
        new StreamError(`exactly-once: no transaction for changelog ${record.topic}[${partition}]`),
      );
    }
    return part.send(record);
  }

  /** Sets where outputs go for messages (or timers) of `tp`; false when it is not claimed. */
  #target(tp: string): boolean {
    if (!this.#eos) return true;
    const part = this.#parts.get(tp);
    if (!part || part.failed) return false;
    this.#out = part.batching;
    return true;
  }

  /**
   * Exactly-once: commits every partition's transaction with its position, concurrently (each
   * is its own producer). A partition whose transaction fails is dropped (see
   * {@link #dropPart}) before local state is flushed; the others stay committed.
   */
  async #commitParts(positions: Position[]): Promise<void> {
    const offsets = new Map(positions.map((p) => [`${p.topic}:${p.partition}`, p.offset]));
    const failed: [PartitionTxn, string][] = [];
    await Promise.all([...this.#parts].map(async ([tp, part]) => {
      const offset = offsets.get(tp);
      if (part.failed) {
        failed.push([part, part.failed.message]);
        return;
      }
      if (offset === undefined && !part.open) return;
      try {
        await part.commit(this.app.consumerGroup, offset);
      } catch (e) {
        failed.push([part, `committing its transaction failed: ${(e as Error).message}`]);
      }
    }));
    for (const [part, why] of failed) await this.#dropPart(part, why);
  }

  async run(signal?: AbortSignal): Promise<void> {
    const stopped = new Promise<void>((resolve) => (this.#wake = resolve));
    const stop = () => {
      if (!this.#stopping) {
        this.#logger.info("stopping: finishing the current batch, then committing");
      }
      this.#stopping = true;
      this.#wake();
    };
    this.hooks.setStop(stop);
    if (signal?.aborted) return;
    signal?.addEventListener("abort", stop, { once: true });
    const signals = this.options.handleSignals === false
      ? []
      : addSignalListeners(stop, this.#logger);

    const kafka = createKafka(
      this.app.brokerAddress,
      this.options.clientId ?? `sa-${this.app.consumerGroup}`,
      this.#logger,
      this.app.security,
    );
    this.#kafka = kafka;
    // Exactly-once has no run-wide producer: each claimed input partition gets its own.
    const producer = this.#eos ? null : this.hooks.kafkaProducer(kafka);
    const tuning = this.options.consumer ?? {};
    this.#consumer = kafka.consumer({
      groupId: this.app.consumerGroup,
      sessionTimeout: tuning.sessionTimeout ?? 30_000,
      heartbeatInterval: tuning.heartbeatInterval ?? 3000,
      rebalanceTimeout: tuning.rebalanceTimeout ?? 60_000,
      maxBytesPerPartition: tuning.maxBytesPerPartition ?? 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      minBytes: 1,
      maxWaitTimeInMs: tuning.maxWaitTimeInMs ?? 250,
      allowAutoTopicCreation: false,
      partitionAssigners: [advertisingRoundRobin(() => this.app.observers.advertisedUrl)],
      retry: { retries: 5 },
    });
    let interval: ReturnType<typeof setInterval> | undefined;
    let connected = false;
    try {
      await this.hooks.ensureTopics(kafka).catch((e) => {
        throw new StreamError(
          `cannot reach the Kafka broker at ${this.app.brokerAddress} to create topics: ${
            (e as Error).message
          }. ` +
            "Start one with `sa up`, or set SA_BROKER / brokerAddress.",
          { cause: e },
        );
      });
      if (producer) {
        await connectOrExplain(producer.connect(), this.app.brokerAddress);
        this.#producer = this.#out = new BatchingProducer(producer, this.#logger);
      } else {
        for (const [topic, st] of this.registry.streams) {
          for (const store of st.stores) {
            this.#changelogSources.set(
              changelogTopicName(this.app.consumerGroup, topic, store),
              topic,
            );
          }
        }
      }
      this.#compiled = this.registry.compile(this.#runtime());
      await this.#setupSinks();
      await this.app.state.start?.({
        kafka,
        // Exactly-once: changelog records go into their input partition's transaction.
        producer: producer ?? { send: (record: ProducerRecord) => this.#changelogSend(record) },
        brokers: this.app.brokerAddress.split(",").map((b) => b.trim()),
        security: this.app.security,
        stores: new Map([...this.registry.streams].map(([t, st]) => [t, st.stores])),
      });
      await connectOrExplain(this.#consumer.connect(), this.app.brokerAddress);
      connected = true;
      const fromBeginning = (this.options.autoOffsetReset ?? "latest") === "earliest";
      await this.#consumer.subscribe({ topics: [...this.registry.streams.keys()], fromBeginning });
      this.#watchGroup();
      await this.#consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        // An error here (a failed checkpoint) is fatal: handing it to kafkajs would retry the
        // batch past offsets already resolved.
        eachBatch: (payload) =>
          this.#mutex.lock(() => this.#eachBatch(payload)).catch((e) => this.#fail(e)),
      });
      this.#logger.info(
        `running: group ${this.app.consumerGroup}, topics ${
          [...this.registry.streams.keys()].join(", ")
        }, ` +
          `broker ${this.app.brokerAddress}`,
      );
      const tick = Math.max(
        10,
        Math.min(1000, this.hooks.commitInterval || 1000, ...this.#timers.map((t) => t.intervalMs)),
      );
      const lastFired = new Map<PipelineTimer, number>();
      interval = setInterval(() => {
        this.#mutex.lock(() => this.#onTick(lastFired)).catch((e) => this.#fail(e));
      }, tick);
      if (!this.#stopping) await stopped;
    } finally {
      clearInterval(interval);
      signal?.removeEventListener("abort", stop);
      for (const remove of signals) remove();
      this.#stopping = true;
      await this.#shutdown(producer, connected);
      // A socket kafkajs left open would keep the process alive after "stopped".
      const leftover = await destroyLeftoverSockets(kafka);
      if (leftover > 0) this.#logger.debug(`closed ${leftover} socket(s) kafkajs left open`);
    }
    if (this.#fatal) throw this.#fatal;
  }

  async #shutdown(producer: KafkaProducer | null, connected: boolean): Promise<void> {
    // Final checkpoint under the mutex, so no batch is half-processed; then leave the group.
    await this.#mutex.lock(async () => {
      if (!this.#compiled) return;
      if (this.#fatal && this.#eos) {
        // A failed checkpoint must not commit: its outputs are discarded, its input reprocessed.
        for (const part of this.#parts.values()) await part.close(this.#logger);
        this.#parts.clear();
        return;
      }
      try {
        await this.#commit("shutdown");
      } catch (e) {
        this.#logger.error(
          `final checkpoint failed: ${(e as Error).message}; uncommitted input will be reprocessed`,
        );
        this.#fatal ??= e as Error;
      }
    });
    if (connected) await this.#consumer.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    for (const part of this.#parts.values()) await part.close(this.#logger);
    this.#parts.clear();
    await this.#admin?.disconnect().catch(() => {});
    for (const s of this.#sinks) await s.close?.();
    await this.app.state.close();
    this.#logger.info("stopped");
  }

  async #setupSinks(): Promise<void> {
    for (const sink of this.#sinks) {
      try {
        await sink.setup?.();
      } catch (e) {
        throw new StreamError(
          `sink ${sink.constructor.name}: setup failed: ${(e as Error).message}`,
          { cause: e },
        );
      }
    }
  }

  #fail(e: unknown): void {
    if (!this.#fatal) {
      this.#fatal = e as Error;
      this.#logger.error((e as Error).message);
    }
    this.#stopping = true;
    this.#wake();
  }

  #runtime(): Runtime {
    // deno-lint-ignore no-this-alias
    const runner = this;
    return {
      ctx: this.#ctx,
      sinks: this.#sinks,
      timers: this.#timers,
      logger: this.#logger,
      stdout: (text) => console.log(text),
      isTerminal: (() => {
        try {
          return Deno.stdout.isTerminal();
        } catch {
          return false;
        }
      })(),
      output: {
        produce(topic, value, key, timestamp, headers) {
          runner.#out.add(topic.name, encodeMessage(topic, value, key, timestamp, headers));
        },
      },
    };
  }

  #watchGroup(): void {
    const c = this.#consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      const next = new Set<string>();
      for (const [topic, parts] of Object.entries(e.payload.memberAssignment)) {
        for (const p of parts as number[]) next.add(`${topic}:${p}`);
      }
      this.#mutex.lock(() => this.#rebalanced(next)).catch((err) => this.#fail(err));
    });
    // Before rejoining, commit what was processed so the next owner starts after it (the
    // broker still accepts the current generation's commits while the group prepares).
    c.on(c.events.REBALANCING, () => {
      if (this.#stopping) return;
      this.#mutex.lock(() => this.#commit("rebalance")).catch((e) =>
        this.#logger.warn(`checkpoint before rebalance failed: ${(e as Error).message}`)
      );
    });
    c.on(c.events.CRASH, (e) => {
      if (!e.payload.restart) {
        this.#fail(
          new StreamError(`consumer crashed: ${e.payload.error.message}`, {
            cause: e.payload.error,
          }),
        );
      } else {
        this.#logger.warn(`consumer error, restarting: ${e.payload.error.message}`);
      }
    });
  }

  async #rebalanced(next: Set<string>): Promise<void> {
    const revoked = [...this.#assigned].filter((tp) => !next.has(tp));
    if (revoked.length > 0) {
      // Commit what we processed for them (the commit may be refused after the rebalance:
      // at-least-once then reprocesses it), then close their stores.
      await this.#commit("revoke").catch((e) =>
        this.#logger.warn(`checkpoint on revoke failed: ${e.message}`)
      );
      for (const tp of revoked) {
        const [topic, partition] = splitTp(tp);
        const part = this.#parts.get(tp);
        if (part) {
          this.#parts.delete(tp);
          await part.close(this.#logger);
        }
        this.#assigned.delete(tp);
        this.#checkpoint.drop(topic, partition);
        this.#ctx.forgetPartition(topic, partition);
        await this.app.state.revoke(topic, partition);
      }
      this.#logger.info(`partitions revoked: ${revoked.join(", ")}`);
      this.app.observers.revoked(revoked);
    }
    const added = [...next].filter((tp) => !this.#assigned.has(tp));
    if (added.length === 0) return;
    this.#logger.info(`partitions assigned: ${added.join(", ")}`);
    // Open (and recover) their stores now, under the mutex, so no batch of theirs runs
    // before and wall-clock timers see them even before new input arrives.
    for (const tp of added) {
      const [topic, partition] = splitTp(tp);
      if (!this.registry.streams.has(topic)) continue;
      await this.app.state.assign(topic, partition);
      this.#assigned.add(tp);
      if (this.#eos && !this.#parts.has(tp)) await this.#claim(topic, partition);
    }
    this.app.observers.assigned(added);
  }

  async #onTick(lastFired: Map<PipelineTimer, number>): Promise<void> {
    if (this.#stopping) return;
    const now = Date.now();
    for (const timer of this.#timers) {
      if (now - (lastFired.get(timer) ?? 0) < timer.intervalMs) continue;
      lastFired.set(timer, now);
      for (const tp of this.#assigned) {
        const [topic, partition] = splitTp(tp);
        if (topic !== timer.topic || !this.#target(tp)) continue;
        this.#ctx.topic = topic;
        this.#ctx.partition = partition;
        this.#ctx.offset = -1;
        try {
          timer.fire(now);
        } catch (e) {
          throw new ProcessingError({ topic, partition, offset: -1 }, e);
        }
      }
    }
    if (this.#checkpoint.due(now)) await this.#commit("interval");
  }

  async #eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (this.#stopping || batch.messages.length === 0) return;
    const topicName = batch.topic;
    const partition = batch.partition;
    const tp = `${topicName}:${partition}`;
    if (!this.#assigned.has(tp)) {
      await this.app.state.assign(topicName, partition);
      this.#assigned.add(tp);
      this.app.observers.assigned([tp]);
    }
    let messages = batch.messages;
    let part: PartitionTxn | undefined;
    if (this.#eos) {
      part = this.#parts.get(tp) ??
        await this.#claim(topicName, partition, Number(messages[0].offset)) ?? undefined;
      if (!part) return; // not claimed (broker unreachable): kafkajs fetches the batch again
      if (part.failed) {
        await this.#dropPart(part, part.failed.message);
        return;
      }
      if (payload.isStale()) return; // the claim sought back to the committed offset
      // kafkajs refetches from the last committed offset after a rejoin: rows this producer
      // epoch processed already (their outputs are in its open transaction) are skipped.
      const next = part.next;
      if (next !== null && Number(messages[0].offset) < next) {
        messages = messages.filter((m) => Number(m.offset) >= next);
        if (messages.length === 0) {
          payload.resolveOffset(String(next - 1));
          return;
        }
      }
    }
    if (!this.#target(tp)) return;
    const topic = this.registry.streams.get(topicName)!.topic;
    const emit = this.#compiled.get(topicName)!;
    const ctx = this.#ctx;
    const extractor = topic.timestampExtractor;
    const checkpoint = this.#checkpoint;
    const perMessage = this.hooks.commitInterval === 0;
    const commitEvery = this.hooks.commitEvery;
    await this.#out.backpressure();
    // Positions are recorded once per run of messages, not per message (hot path).
    let last = -1;
    let count = 0;
    const hwm = Number(batch.highWatermark);
    const record = () => {
      if (count === 0) return;
      if (part && this.#parts.get(tp) !== part) {
        // Dropped (fenced) meanwhile: these rows' outputs were aborted, they must not count.
        count = 0;
        return;
      }
      checkpoint.record(topicName, partition, last, count);
      payload.resolveOffset(String(last));
      if (part) part.next = last + 1;
      this.app.observers.processed(topicName, partition, last, count, hwm);
      count = 0;
    };
    let sinceYield = 0;
    let lastYield = performance.now();
    // isStale() costs a JSON.stringify in kafkajs: checked here and at each yield point below.
    if (!payload.isRunning() || payload.isStale()) return;
    for (const m of messages) {
      if (this.#stopping) break;
      // A long synchronous run would hold back outputs, heartbeats and commits until the
      // whole batch is done: every ~50 ms, let the producer send and checkpoint if due.
      if (++sinceYield >= 64) {
        sinceYield = 0;
        if (performance.now() - lastYield >= 50) {
          record();
          await new Promise((resolve) => setTimeout(resolve, 0));
          await payload.heartbeat().catch(() => {});
          if (checkpoint.due()) await this.#commit("interval");
          lastYield = performance.now();
          if (this.#stopping || !payload.isRunning() || payload.isStale()) break;
          // The checkpoint may have dropped this partition (its transaction was fenced).
          if (part && this.#parts.get(tp) !== part) break;
        }
      }
      const offset = Number(m.offset);
      ctx.topic = topicName;
      ctx.partition = partition;
      ctx.offset = offset;
      let key: unknown;
      let value: unknown;
      try {
        key = topic.deserializeKey(m.key);
        value = topic.deserializeValue(m.value);
      } catch (e) {
        const field = key === undefined && m.key !== null ? "key" : "value";
        const err = new SerializationError(field, (e as Error).message, {
          topic: topicName,
          partition,
          offset,
        }, {
          cause: e,
        });
        if (
          !this.#handleFailure(err, this.options.onConsumerError, m, topicName, partition, offset)
        ) break;
        last = offset;
        count++;
        continue;
      }
      const headers = normalizeHeaders(m.headers);
      try {
        const ts = extractor
          ? extractor(value, headers, Number(m.timestamp), 1)
          : Number(m.timestamp);
        ctx.currentKey = key;
        ctx.timestamp = ts;
        emit(value, key, ts, headers);
      } catch (e) {
        const err = new ProcessingError({ topic: topicName, partition, offset }, e);
        if (
          !this.#handleFailure(err, this.options.onProcessingError, m, topicName, partition, offset)
        ) break;
      }
      last = offset;
      count++;
      if (perMessage || (commitEvery > 0 && checkpoint.processed + count >= commitEvery)) {
        record();
        await this.#commit("count");
        if (part && this.#parts.get(tp) !== part) break;
      }
    }
    record();
    if (checkpoint.due()) await this.#commit("interval");
    await payload.heartbeat().catch(() => {});
  }

  /** True when the message is dealt with (skipped or dead-lettered); false stops the app. */
  #handleFailure(
    err: StreamError,
    callback: ErrorCallback | undefined,
    m: KafkaMessage,
    topic: string,
    partition: number,
    offset: number,
  ): boolean {
    const origin = { topic, partition, offset };
    try {
      if (callback?.(err, origin) === true) {
        this.#logger.debug(`skipped ${topic}[${partition}]@${offset}: ${err.message}`);
        return true;
      }
    } catch (e) {
      this.#fail(e);
      return false;
    }
    const dlq = this.options.deadLetterTopic;
    if (dlq) {
      const cause = err.cause instanceof Error ? err.cause.message : err.message;
      this.#out.add(dlq, {
        key: toBuffer(m.key),
        value: toBuffer(m.value),
        timestamp: m.timestamp,
        headers: {
          ...(m.headers ?? {}),
          [DEAD_LETTER_HEADERS.error]: cause,
          [DEAD_LETTER_HEADERS.topic]: topic,
          [DEAD_LETTER_HEADERS.partition]: String(partition),
          [DEAD_LETTER_HEADERS.offset]: String(offset),
        },
      });
      this.#logger.warn(`${err.message}; sent to dead-letter topic ${dlq}`);
      return true;
    }
    this.#fail(err);
    return false;
  }

  /** A checkpoint, through the sink backpressure gate (which may defer it). */
  #commit(reason: string): Promise<void> {
    return this.#sinkGate.run(() => this.#commitNow(reason), reason === "shutdown");
  }

  async #commitNow(reason: string): Promise<void> {
    // Expired state goes with this checkpoint: its deletes reach the changelog as tombstones.
    const expired = this.#ctx.purgeExpired();
    if (expired > 0) {
      this.#logger.debug(`checkpoint (${reason}): ${expired} expired state cells deleted`);
    }
    const onProducerError = this.options.onProducerError;
    const started = performance.now();
    let ok = false;
    try {
      await this.#commitCheckpoint(reason, onProducerError);
      ok = true;
    } finally {
      this.app.observers.checkpointed(performance.now() - started, ok);
    }
  }

  async #commitCheckpoint(
    reason: string,
    onProducerError: ApplicationOptions["onProducerError"],
  ): Promise<void> {
    const flush = async (producer: BatchingProducer, part?: PartitionTxn) => {
      try {
        await producer.flush();
      } catch (e) {
        if (onProducerError?.(e as Error) === true) {
          this.#logger.warn(`ignored by onProducerError: ${(e as Error).message}`);
          producer.dismissError();
          return;
        }
        // Exactly-once: the partition's transaction cannot commit; it is dropped and redone.
        if (part) part.failed ??= e as Error;
        else throw e;
      }
    };
    const state = this.app.state;
    await this.#checkpoint.commit({
      sinks: this.#sinks,
      state: !this.#eos ? state : {
        // A changelog send into a fenced partition's transaction fails the whole prepare:
        // drop the failed partitions (their stores close, changes discarded), then prepare the
        // others again (their changes are sent again in the same transactions: a repeated
        // change in a changelog is harmless).
        prepareCheckpoint: async (processed) => {
          for (;;) {
            try {
              return await state.prepareCheckpoint(processed);
            } catch (e) {
              const failed = [...this.#parts.values()].filter((p) => p.failed);
              if (failed.length === 0) throw e;
              for (const p of failed) await this.#dropPart(p, p.failed!.message);
            }
          }
        },
        flush: (committed) => state.flush(committed),
        discard: () => state.discard?.(),
      },
      flushProducer: async () => {
        if (this.#producer) await flush(this.#producer);
        await Promise.all([...this.#parts.values()].map((part) => flush(part.batching, part)));
      },
      commitOffsets: async (positions: Position[]) => {
        if (this.#eos) {
          // Also with no positions: timer outputs and changelog records end their transactions.
          await this.#commitParts(positions);
          return true;
        }
        if (positions.length === 0) return true;
        try {
          await this.#consumer.commitOffsets(
            positions.map((p) => ({
              topic: p.topic,
              partition: p.partition,
              offset: String(p.offset),
            })),
          );
          return true;
        } catch (e) {
          if (!this.#commitWarned) {
            this.#commitWarned = true;
            this.#logger.warn(
              `offset commit (${reason}) refused: ${(e as Error).message}; ` +
                "messages since the last commit will be reprocessed (at-least-once). Logged once.",
            );
          }
          return false;
        }
      },
    }, this.#logger);
  }
}

/** kafkajs repeats a header name as an array; rows carry one value per name (the last). */
function normalizeHeaders(headers: KafkaMessage["headers"]): MessageHeaders {
  if (!headers) return {};
  for (const name in headers) {
    if (Array.isArray(headers[name]) || headers[name] === undefined) {
      const out: MessageHeaders = {};
      for (const [k, v] of Object.entries(headers)) {
        const one = Array.isArray(v) ? v.at(-1) : v;
        if (one !== undefined) out[k] = one;
      }
      return out;
    }
  }
  return headers as MessageHeaders;
}

function splitTp(tp: string): [string, number] {
  const i = tp.lastIndexOf(":");
  return [tp.slice(0, i), Number(tp.slice(i + 1))];
}

export function addSignalListeners(handler: () => void, logger: Logger): Array<() => void> {
  const removers: Array<() => void> = [];
  const interrupts = new InterruptTracker();
  const onSignal = () => {
    // The first signal stops gracefully; a second press means "now", as Ctrl+C twice does in
    // Quix. Echoes of the first keystroke (forwarded by deno task/npx) are not a second press.
    const kind = interrupts.hit();
    if (kind === "echo") return;
    if (kind === "repeat") {
      logger.warn("second interrupt: exiting without a final checkpoint");
      Deno.exit(130);
    }
    handler();
  };
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    try {
      Deno.addSignalListener(sig, onSignal);
      removers.push(() => Deno.removeSignalListener(sig, onSignal));
    } catch {
      // Workers and some platforms cannot listen to signals; the run signal still works.
    }
  }
  return removers;
}

/** Connects, or explains how to start a broker. */
export async function connectOrExplain(p: Promise<void>, address: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    throw new StreamError(
      `cannot connect to the Kafka broker at ${address}: ${(e as Error).message}. ` +
        "Start one with `sa up` (or `sa broker`), or set SA_BROKER / brokerAddress.",
      { cause: e },
    );
  }
}
