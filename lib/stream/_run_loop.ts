/**
 * The run loop of an {@link Application}: consumes in batches, processes each message through
 * the compiled pipeline, produces, and commits through checkpoints; under exactly-once, one
 * transaction per claimed input partition (see docs/exactly_once.md).
 *
 * @module
 */

import type { Producer as KafkaProducer, ProducerRecord } from "kafkajs";
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
import { BatchingProducer } from "./kafka/producer.ts";
import {
  eosProducerChoice,
  kafkaProducerChoice,
  NativeOutput,
  type Output,
} from "./kafka/_native_output.ts";
import type { PartitionTransaction as PartitionTxn } from "./kafka/_partition_txn.ts";
import { Cluster } from "../kafka/client/cluster.ts";
import { changelogTopicName } from "./state/changelog.ts";
import type { Topic } from "./topic.ts";
import type { Sink } from "./types.ts";
import { BackpressureGate } from "./sinks/backpressure.ts";
import type { InputBatch, InputConsumer } from "./kafka/_input.ts";
import { createInput } from "./kafka/_input_select.ts";
import { EosParts } from "./_eos_parts.ts";
import { addSignalListeners, connectOrExplain, Mutex, splitTp } from "./_run_support.ts";

import type { Application, ApplicationOptions, ErrorCallback } from "./application.ts";

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
  #producer: Output | null = null;
  /** Where outputs of the message (or timer) being processed go. */
  #out!: Output;
  #input!: InputConsumer;
  #stopping = false;
  #fatal: Error | null = null;
  #wake!: () => void;
  #commitWarned = false;
  readonly #eos: boolean;
  /** Exactly-once: the transaction of each claimed input partition. */
  #txns: EosParts | null = null;
  #txnCluster: Cluster | null = null;
  #kafka!: ReturnType<typeof createKafka>;
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
      () => this.#input,
      () => [...registry.streams.keys()],
      this.#logger,
    );
  }

  /** Sets where outputs go for messages (or timers) of `tp`; false when it is not claimed. */
  #target(tp: string): boolean {
    if (!this.#eos) return true;
    const part = this.#txns!.parts.get(tp);
    if (!part || part.failed) return false;
    this.#out = part.batching;
    return true;
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
    this.#input = createInput({
      kafka,
      app: this.app,
      tuning: this.options.consumer ?? {},
      readCommitted: this.#eos,
      logger: this.#logger,
    });
    if (this.#eos) {
      // The partitions' transactions share one cluster client (unless kafkajs is asked for).
      this.#txnCluster = eosProducerChoice() === "native"
        ? new Cluster({
          bootstrap: this.app.brokerAddress,
          clientId: this.options.clientId ?? `sa-${this.app.consumerGroup}`,
          security: this.app.security,
          connectTimeoutMs: 3000,
        })
        : null;
      this.#txns = new EosParts({
        group: this.app.consumerGroup,
        logger: this.#logger,
        native: this.#txnCluster ?? undefined,
        producer: (id) => this.hooks.kafkaProducer(kafka, id),
        input: () => this.#input,
        forget: (topic, partition) => this.#forget(topic, partition),
      });
    }
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
        this.#producer = this.#out = kafkaProducerChoice() === "native"
          ? await connectOrExplain(
            NativeOutput.open(
              this.app.brokerAddress,
              this.options.clientId ?? `sa-${this.app.consumerGroup}`,
              this.app.security,
              this.options.idempotentProducer ?? true,
            ),
            this.app.brokerAddress,
          )
          : new BatchingProducer(producer, this.#logger);
      } else {
        for (const [topic, st] of this.registry.streams) {
          for (const store of st.stores) {
            this.#txns!.changelogSources.set(
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
        // At-least-once: through the outputs' producer (kafkajs' with SA_KAFKA_PRODUCER=kafkajs).
        producer: producer === null
          ? { send: (record: ProducerRecord) => this.#txns!.changelogSend(record) }
          : this.#producer instanceof NativeOutput
          ? {
            send: (record: ProducerRecord) => (this.#producer as NativeOutput).sendRecord(record),
          }
          : producer,
        brokers: this.app.brokerAddress.split(",").map((b) => b.trim()),
        security: this.app.security,
        stores: new Map([...this.registry.streams].map(([t, st]) => [t, st.stores])),
      });
      const fromBeginning = (this.options.autoOffsetReset ?? "latest") === "earliest";
      connected = true;
      await connectOrExplain(
        this.#input.start([...this.registry.streams.keys()], fromBeginning, {
          batch: (b) => this.#mutex.lock(() => this.#eachBatch(b)),
          rebalancing: () =>
            this.#stopping ? Promise.resolve() : this.#mutex.lock(() => this.#commit("rebalance")),
          assigned: (next) => this.#mutex.lock(() => this.#rebalanced(next)),
          fatal: (e) => this.#fail(e),
          warn: (m) => this.#logger.warn(m),
        }),
        this.app.brokerAddress,
      );
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
        await this.#txns?.closeAll();
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
    if (connected) await this.#input.stop().catch(() => {});
    await producer?.disconnect().catch(() => {});
    if (this.#producer instanceof NativeOutput) await this.#producer.close();
    await this.#txns?.closeAll();
    await this.#txnCluster?.close().catch(() => {});
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
          runner.#out.produce(topic, value, key, timestamp, headers);
        },
      },
    };
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
        await this.#txns?.release(tp);
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
      if (this.#txns && !this.#txns.parts.has(tp)) await this.#txns.claim(topic, partition);
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

  /** Exactly-once: forgets a dropped partition's uncommitted work (see `_eos_parts.ts`). */
  async #forget(topic: string, partition: number): Promise<void> {
    this.#checkpoint.drop(topic, partition);
    this.#ctx.forgetPartition(topic, partition);
    if (this.#assigned.delete(`${topic}:${partition}`)) {
      await this.app.state.revoke(topic, partition);
    }
  }

  async #eachBatch(batch: InputBatch): Promise<void> {
    if (this.#stopping) return;
    const topicName = batch.topic;
    const partition = batch.partition;
    const tp = `${topicName}:${partition}`;
    if (!this.#assigned.has(tp)) {
      await this.app.state.assign(topicName, partition);
      this.#assigned.add(tp);
      this.app.observers.assigned([tp]);
    }
    let part: PartitionTxn | undefined;
    /** Exactly-once: rows below this offset were processed in this producer epoch already. */
    let skipBelow = -1;
    const txns = this.#txns;
    if (txns) {
      part = txns.parts.get(tp) ?? await txns.claim(topicName, partition, batch.firstOffset) ??
        undefined;
      if (!part) return; // not claimed (broker unreachable): the batch is fetched again
      if (part.failed) {
        await txns.drop(part, part.failed.message);
        return;
      }
      if (batch.isStale()) return; // the claim sought back to the committed offset
      // A consumer may refetch from the last committed offset after a rejoin (kafkajs does):
      // rows this producer epoch processed already (outputs in its open transaction) are skipped.
      if (part.next !== null && batch.firstOffset < part.next) skipBelow = part.next;
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
    const hwm = batch.highWatermark;
    const record = () => {
      if (count === 0) return;
      if (part && this.#txns!.parts.get(tp) !== part) {
        // Dropped (fenced) meanwhile: these rows' outputs were aborted, they must not count.
        count = 0;
        return;
      }
      checkpoint.record(topicName, partition, last, count);
      batch.resolveOffset(last);
      if (part) part.next = last + 1;
      this.app.observers.processed(topicName, partition, last, count, hwm);
      count = 0;
    };
    let sinceYield = 0;
    let lastYield = performance.now();
    if (!batch.isRunning() || batch.isStale()) return;
    let skipped = false;
    while (batch.next()) {
      if (this.#stopping) break;
      const offset = batch.offset;
      if (offset < skipBelow) {
        skipped = true;
        continue;
      }
      // A long synchronous run would hold back outputs, heartbeats and commits until the
      // whole batch is done: every ~50 ms, let the producer send and checkpoint if due.
      if (++sinceYield >= 64) {
        sinceYield = 0;
        if (performance.now() - lastYield >= 50) {
          record();
          await new Promise((resolve) => setTimeout(resolve, 0));
          await batch.heartbeat().catch(() => {});
          if (checkpoint.due()) await this.#commit("interval");
          lastYield = performance.now();
          if (this.#stopping || !batch.isRunning() || batch.isStale()) break;
          // The checkpoint may have dropped this partition (its transaction was fenced).
          if (part && this.#txns!.parts.get(tp) !== part) break;
        }
      }
      ctx.topic = topicName;
      ctx.partition = partition;
      ctx.offset = offset;
      const rawKey = batch.key;
      let key: unknown;
      let value: unknown;
      try {
        key = topic.deserializeKey(rawKey);
        value = topic.deserializeValue(batch.value);
      } catch (e) {
        const field = key === undefined && rawKey !== null ? "key" : "value";
        const err = new SerializationError(field, (e as Error).message, {
          topic: topicName,
          partition,
          offset,
        }, {
          cause: e,
        });
        if (!this.#handleFailure(err, this.options.onConsumerError, batch)) break;
        last = offset;
        count++;
        continue;
      }
      const headers = batch.headers();
      try {
        const ts = extractor ? extractor(value, headers, batch.timestamp, 1) : batch.timestamp;
        ctx.currentKey = key;
        ctx.timestamp = ts;
        emit(value, key, ts, headers);
      } catch (e) {
        const err = new ProcessingError({ topic: topicName, partition, offset }, e);
        if (!this.#handleFailure(err, this.options.onProcessingError, batch)) break;
      }
      last = offset;
      count++;
      if (perMessage || (commitEvery > 0 && checkpoint.processed + count >= commitEvery)) {
        record();
        await this.#commit("count");
        if (part && this.#txns!.parts.get(tp) !== part) break;
      }
    }
    if (skipped && last < 0 && !this.#stopping) batch.resolveOffset(skipBelow - 1);
    record();
    if (checkpoint.due()) await this.#commit("interval");
    await batch.heartbeat().catch(() => {});
  }

  /** True when the message is dealt with (skipped or dead-lettered); false stops the app. */
  #handleFailure(err: StreamError, callback: ErrorCallback | undefined, m: InputBatch): boolean {
    const { topic, partition, offset } = m;
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
        timestamp: String(m.timestamp),
        headers: {
          ...m.headers(),
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
    const flush = async (producer: Output, part?: PartitionTxn) => {
      try {
        await producer.flush();
      } catch (e) {
        if (onProducerError?.(e as Error) === true) {
          this.#logger.warn(`ignored by onProducerError: ${(e as Error).message}`);
          await producer.dismissError();
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
      state: this.#txns ? this.#txns.checkpointState(state) : state,
      flushProducer: async () => {
        if (this.#producer) await flush(this.#producer);
        const parts = this.#txns?.parts.values() ?? [];
        await Promise.all([...parts].map((part) => flush(part.batching, part)));
      },
      commitOffsets: async (positions: Position[]) => {
        if (this.#eos) {
          // Also with no positions: timer outputs and changelog records end their transactions.
          await this.#txns!.commit(positions);
          return true;
        }
        if (positions.length === 0) return true;
        try {
          await this.#input.commit(positions);
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
