/**
 * `Application`: runs dataframes against Kafka with kafkajs. Consumes in batches, processes
 * each message synchronously through the compiled pipeline, produces in batches, and commits
 * offsets through checkpoints (see `checkpoint/checkpoint.ts`) so nothing is lost on a crash.
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
import { Partitioners } from "kafkajs";
import { Logger, parseLogLevel } from "../util/log.ts";
import { Checkpoint, type Position } from "./checkpoint/checkpoint.ts";
import {
  DataFrameRegistry,
  type Emit,
  ExecContext,
  type PipelineTimer,
  type Runtime,
} from "./dataframe/_pipeline.ts";
import { StreamingDataFrame } from "./dataframe/dataframe.ts";
import {
  ConfigurationError,
  type MessageOrigin,
  ProcessingError,
  SerializationError,
  StreamError,
} from "./errors.ts";
import {
  createKafka,
  destroyLeftoverSockets,
  ensureTopics,
  readEnv,
  resolveBrokerAddress,
  toBuffer,
} from "./kafka/_kafka.ts";
import { BatchingProducer, encodeMessage, Producer } from "./kafka/producer.ts";
import {
  type ClientSecurity,
  resolveSecurity,
  type SaslCredentials,
  type SecurityProtocol,
  type SslFiles,
} from "./kafka/security.ts";
import { DurableStateBackend, groupStateDir } from "./state/durable.ts";
import { partitionTransactionalId, PartitionTxn } from "./kafka/_partition_txn.ts";
import { changelogTopicName } from "./state/changelog.ts";
import { advertisingRoundRobin } from "./kafka/_assigner.ts";
import { RunObservers } from "./observe.ts";
import { type AppHttp, type AppHttpOptions, startAppHttp } from "../serve/app_http.ts";
import type { StateBackend } from "./state/types.ts";
import { Topic, type TopicOptions } from "./topic.ts";
import type { LogLevel, MessageHeaders, Sink } from "./types.ts";
import { InterruptTracker } from "../util/signals.ts";
import { BackpressureGate } from "./sinks/backpressure.ts";
import type { Source } from "./sources/source.ts";
import { type SourceEntry, SourceRunner } from "./sources/_runner.ts";

/**
 * Decides what happens to a failed message: return `true` to skip it (its offset is
 * committed as processed); anything else applies the default (dead-letter topic if
 * configured, else stop the app with the error).
 *
 * @example
 * ```ts
 * import { Application, type ErrorCallback } from "@sa/toolkit";
 * const skipBadJson: ErrorCallback = (error, origin) => {
 *   console.warn(`skipping ${origin?.topic}@${origin?.offset}: ${error.message}`);
 *   return true;
 * };
 * const app = new Application({ onConsumerError: skipBadJson });
 * ```
 */
export type ErrorCallback = (error: Error, origin?: MessageOrigin) => boolean | void;

/**
 * Consumer tuning (the defaults suit most apps; tests use short session timeouts).
 *
 * @example
 * ```ts
 * import { Application } from "@sa/toolkit";
 * const app = new Application({ consumer: { sessionTimeout: 6000, heartbeatInterval: 500 } });
 * ```
 */
export interface ConsumerTuning {
  /** Group session timeout in ms (default 30000). */
  sessionTimeout?: number;
  /** Heartbeat interval in ms (default 3000). */
  heartbeatInterval?: number;
  /** Rebalance timeout in ms (default 60000). */
  rebalanceTimeout?: number;
  /**
   * Max bytes fetched per partition per request (default 1 MiB, kafkajs' own). kafkajs copies
   * each response into one new buffer, and on a VM the fresh pages of a larger one cost more
   * than they save: normalize ran at 48-51k msgs/s with 1 MiB, 37k with 4 MiB.
   */
  maxBytesPerPartition?: number;
  /** How long the broker may hold an empty fetch, in ms (default 250). */
  maxWaitTimeInMs?: number;
}

/**
 * Options of {@link Application}.
 *
 * @example
 * ```ts
 * import { Application, type ApplicationOptions } from "@sa/toolkit";
 * const options: ApplicationOptions = { consumerGroup: "normalize", commitInterval: 1000 };
 * const app = new Application(options);
 * ```
 */
export interface ApplicationOptions {
  /** `host:port[,host:port]`; default `SA_BROKER`, then `Quix__Broker__Address`, then `localhost:19092`. */
  brokerAddress?: string;
  /** Consumer group; default `Quix__Consumer_Group`, then `"sa-default"`. */
  consumerGroup?: string;
  /** Where to start without a committed offset (default `"latest"`, as in Quix Streams). */
  autoOffsetReset?: "earliest" | "latest";
  /** Checkpoint period in ms (default 5000; 0 = commit after every message). */
  commitInterval?: number;
  /** Also checkpoint after this many input messages (default 0 = off). */
  commitEvery?: number;
  /** `"at-least-once"` (default) or `"exactly-once"`. */
  processingGuarantee?: "at-least-once" | "exactly-once";
  /** Directory of durable state stores (default: `SA_STATE_DIR`, set by `sa run`/`sa up`, else `state`). */
  stateDir?: string;
  /** Back state stores with changelog topics (default true). */
  useChangelogTopics?: boolean;
  /** Overrides the state backend (default: in-memory). */
  stateBackend?: StateBackend;
  /** A message whose processing failed. */
  onProcessingError?: ErrorCallback;
  /** A message that could not be consumed (e.g. deserialization failed). */
  onConsumerError?: ErrorCallback;
  /** A produce that failed (serialization or delivery). */
  onProducerError?: ErrorCallback;
  /**
   * Route failed messages (deserialization or processing) to this topic, with the error in
   * headers `sa-error`, `sa-error-topic`, `sa-error-partition`, `sa-error-offset`.
   */
  deadLetterTopic?: string;
  /** Create missing topics (default true). */
  autoCreateTopics?: boolean;
  /** Log level (default `SA_LOG_LEVEL` or INFO). */
  logLevel?: LogLevel;
  /**
   * `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL` (default `SA_SECURITY_PROTOCOL`, else
   * SASL_SSL when SASL credentials are set, SSL when a TLS file is, else PLAINTEXT).
   */
  securityProtocol?: SecurityProtocol;
  /** SASL PLAIN or SCRAM credentials (default `SA_SASL_MECHANISM`/`_USERNAME`/`_PASSWORD`). */
  sasl?: SaslCredentials;
  /** TLS files: CA bundle, client certificate and key (default `SA_SSL_*_LOCATION`). */
  ssl?: SslFiles;
  /** kafkajs client id (default `sa-<consumerGroup>`). */
  clientId?: string;
  /** Idempotent producer (default true). */
  idempotentProducer?: boolean;
  /** Consumer tuning. */
  consumer?: ConsumerTuning;
  /** Stop on SIGINT/SIGTERM gracefully (default true). */
  handleSignals?: boolean;
  /**
   * The app's HTTP server: `/metrics`, `/views/...`, `/topics/...` and `routes` (see
   * docs/streaming-http.md). Default: on when `SA_HTTP_PORT` is set, else off.
   */
  http?: AppHttpOptions;
}

/**
 * Options of {@link Application.run}.
 *
 * @example
 * ```ts
 * import { Application } from "@sa/toolkit";
 * const app = new Application();
 * app.dataframe(app.topic("in")).print();
 * const stop = new AbortController();
 * setTimeout(() => stop.abort(), 5000);
 * await app.run({ signal: stop.signal });
 * ```
 */
export interface RunOptions {
  /** Aborting it stops the app gracefully (final checkpoint, then disconnect). */
  signal?: AbortSignal;
}

/**
 * Headers a dead-lettered message carries.
 *
 * @example
 * ```ts
 * import { DEAD_LETTER_HEADERS } from "@sa/toolkit";
 * console.log(DEAD_LETTER_HEADERS.offset); // "sa-error-offset"
 * ```
 */
export const DEAD_LETTER_HEADERS = {
  error: "sa-error",
  topic: "sa-error-topic",
  partition: "sa-error-partition",
  offset: "sa-error-offset",
} as const;

function envNumber(v: string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

/**
 * A stream processing application: topics, dataframes, and the loop that runs them.
 *
 * @example Normalize messages from one topic into another
 * ```ts
 * import { Application } from "@sa/toolkit";
 *
 * const app = new Application({ consumerGroup: "upper", autoOffsetReset: "earliest" });
 * const input = app.topic<{ text: string }>("words");
 * const output = app.topic("upper-words");
 * app.dataframe(input).apply((v) => ({ text: v.text.toUpperCase() })).toTopic(output);
 * const stop = new AbortController();
 * setTimeout(() => stop.abort(), 10_000);
 * await app.run({ signal: stop.signal });
 * ```
 */
export class Application {
  /** The resolved broker address. */
  readonly brokerAddress: string;
  /** The consumer group. */
  readonly consumerGroup: string;
  /**
   * How the broker is reached (protocol, SASL, TLS), resolved from options and environment.
   *
   * @internal
   */
  readonly security: ClientSecurity;
  /**
   * The runtime's logger (one line per event, to stderr).
   *
   * @internal
   */
  readonly logger: Logger;
  /** The state backend. */
  readonly state: StateBackend;
  readonly #options: ApplicationOptions;
  readonly #topics = new Map<string, Topic>();
  readonly #registry: DataFrameRegistry;
  readonly #commitInterval: number;
  readonly #commitEvery: number;
  /** Where sources keep their positions (undefined: a custom backend without a folder). */
  readonly #sourceStateDir: string | undefined;
  readonly #sources: SourceEntry[] = [];
  #running = false;
  #stop: (() => void) | null = null;
  /** Told what the app processes, checkpoints and owns (metrics and views listen here). */
  readonly observers: RunObservers = new RunObservers();

  /** Creates an application; nothing connects until `run()` or `getProducer()`. */
  constructor(options: ApplicationOptions = {}) {
    this.#options = options;
    this.brokerAddress = resolveBrokerAddress(options.brokerAddress);
    try {
      this.security = resolveSecurity(options, readEnv);
    } catch (err) {
      throw new ConfigurationError((err as Error).message);
    }
    this.consumerGroup = options.consumerGroup ?? readEnv("Quix__Consumer_Group") ?? "sa-default";
    const level = options.logLevel ??
      (readEnv("SA_LOG_LEVEL") ? parseLogLevel(readEnv("SA_LOG_LEVEL")!) : "INFO");
    this.logger = new Logger(this.consumerGroup, level);
    this.#commitInterval = options.commitInterval ?? envNumber(readEnv("SA_COMMIT_INTERVAL")) ??
      5000;
    this.#commitEvery = options.commitEvery ?? 0;
    const reset = options.autoOffsetReset;
    if (reset !== undefined && reset !== "earliest" && reset !== "latest") {
      throw new ConfigurationError(
        `autoOffsetReset must be "earliest" or "latest", got "${reset}"`,
      );
    }
    if (!(this.#commitInterval >= 0) || !(this.#commitEvery >= 0)) {
      throw new ConfigurationError("commitInterval and commitEvery must be numbers ≥ 0");
    }
    if (
      options.processingGuarantee !== undefined &&
      options.processingGuarantee !== "at-least-once" &&
      options.processingGuarantee !== "exactly-once"
    ) {
      throw new ConfigurationError(
        `processingGuarantee must be "at-least-once" or "exactly-once", got "${options.processingGuarantee}"`,
      );
    }
    const stateDir = options.stateDir ?? readEnv("SA_STATE_DIR") ??
      readEnv("Quix__Deployment__State__Path") ?? "state";
    // Durable by default (sqlite under stateDir, changelog topics); nothing touches the disk
    // unless a dataframe declares a store.
    this.#sourceStateDir = options.stateBackend instanceof DurableStateBackend
      ? options.stateBackend.groupDir
      : options.stateBackend && options.stateDir === undefined
      ? undefined
      : groupStateDir(stateDir, this.consumerGroup);
    this.state = options.stateBackend ?? new DurableStateBackend({
      stateDir,
      group: this.consumerGroup,
      useChangelogTopics: options.useChangelogTopics,
      logger: this.logger,
    });
    this.#registry = new DataFrameRegistry(
      (name, opts) => this.topic(name, opts),
      this.consumerGroup,
    );
    if (options.deadLetterTopic) {
      this.topic(options.deadLetterTopic, { valueSerializer: "bytes", keySerializer: "bytes" });
    }
  }

  /**
   * Declares a topic. Formats default to JSON values and string keys. Missing topics are
   * created (with `options.config`) when the app starts.
   */
  topic<V = unknown, K = unknown>(name: string, options?: TopicOptions<V, K>): Topic<V, K> {
    const existing = this.#topics.get(name);
    if (existing) {
      if (options) {
        throw new ConfigurationError(
          `topic "${name}" is already declared; declare it once and reuse it`,
        );
      }
      return existing as unknown as Topic<V, K>;
    }
    const t = new Topic<V, K>(name, options);
    this.#topics.set(name, t as unknown as Topic);
    return t;
  }

  /**
   * Adds a source, started and stopped with the app, producing to `topic` (default: the
   * source's `defaultTopic()`, else `source__<name>`). Returns the topic.
   */
  addSource<V = unknown>(source: Source, topic?: Topic<V, unknown>): Topic<V, unknown> {
    if (this.#running) throw new ConfigurationError("addSource() must be called before run()");
    let t = (topic ?? source.defaultTopic?.()) as Topic | undefined;
    if (!t) t = this.#topics.get(`source__${source.name}`) ?? new Topic(`source__${source.name}`);
    if (!this.#topics.has(t.name)) this.#topics.set(t.name, t);
    this.#sources.push({ source, topic: t });
    return t as unknown as Topic<V, unknown>;
  }

  /**
   * A dataframe over the messages of `topic` (or of a source, added with `addSource`); build
   * the pipeline on it before `run()`.
   */
  dataframe<V>(topic: Topic<V, unknown> | Source): StreamingDataFrame<V> {
    if (this.#running) throw new ConfigurationError("dataframe() must be called before run()");
    if (!(topic instanceof Topic)) topic = this.addSource<V>(topic);
    if (!this.#topics.has(topic.name)) this.#topics.set(topic.name, topic as unknown as Topic);
    return new StreamingDataFrame<V>(this.#registry, topic as unknown as Topic);
  }

  /**
   * Deletes the app's local state (every store of its consumer group under `stateDir`), e.g.
   * before reprocessing from the start; changelog topics are kept. Not while running.
   */
  async clearState(): Promise<void> {
    if (this.#running) throw new ConfigurationError("clearState() cannot run while the app runs");
    await this.state.clear?.();
  }

  /** Stops a running app gracefully, as the run signal does. */
  stop(): void {
    this.#stop?.();
  }

  #kafkaProducer(kafka: ReturnType<typeof createKafka>, transactionalId?: string): KafkaProducer {
    const transactional = transactionalId !== undefined;
    const idempotent = transactional || (this.#options.idempotentProducer ?? true);
    return kafka.producer({
      idempotent,
      maxInFlightRequests: idempotent ? 1 : undefined,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      transactionalId,
      transactionTimeout: transactional ? Math.max(60_000, this.#commitInterval * 3) : undefined,
    });
  }

  async #ensureTopics(kafka: ReturnType<typeof createKafka>, extra: Topic[] = []): Promise<void> {
    if (this.#options.autoCreateTopics === false) return;
    const admin: Admin = kafka.admin();
    await admin.connect();
    try {
      const all = new Map<string, Topic>();
      for (const t of this.#registry.outputs) all.set(t.name, t);
      for (const t of this.#topics.values()) all.set(t.name, t);
      await ensureTopics(admin, extra.length ? extra : all.values(), this.logger);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * A connected plain producer (creates missing declared topics first). Close it when done.
   */
  async getProducer(): Promise<Producer> {
    const kafka = createKafka(
      this.brokerAddress,
      this.#options.clientId ?? `sa-${this.consumerGroup}`,
      this.logger,
      this.security,
    );
    await this.#ensureTopics(kafka);
    const producer = this.#kafkaProducer(kafka);
    await connectOrExplain(producer.connect(), this.brokerAddress);
    return new Producer(
      new BatchingProducer(producer, this.logger),
      () => producer.disconnect(),
      (topic) => this.#ensureTopics(kafka, [topic]),
      this.#topics.keys(),
    );
  }

  /**
   * Runs every dataframe (and source) until stopped (signal, SIGINT/SIGTERM, `stop()`), then
   * makes a final checkpoint and disconnects. Rejects when a message fails and no error policy
   * skips it, or when a source fails.
   */
  async run(options: RunOptions = {}): Promise<void> {
    if (this.#sources.length === 0) return await this.#runDataframes(options);
    if (this.#running) throw new ConfigurationError("run() is already running");
    // A failing source stops the whole app, as a stop signal would.
    const sourceStop = new AbortController();
    let sourceError: Error | null = null;
    const signal = options.signal
      ? AbortSignal.any([options.signal, sourceStop.signal])
      : sourceStop.signal;
    const sources = await this.#startSources((e) => {
      sourceError ??= e;
      this.logger.error(e.message);
      sourceStop.abort();
    });
    try {
      if (this.#registry.streams.size > 0) await this.#runDataframes({ signal });
      else await this.#waitForSources(sources.runner, signal);
    } finally {
      await sources.close();
    }
    if (sourceError) throw sourceError;
  }

  async #runDataframes(options: RunOptions): Promise<void> {
    if (this.#running) throw new ConfigurationError("run() is already running");
    if (this.#registry.streams.size === 0) {
      throw new ConfigurationError(
        "nothing to run: create a dataframe with app.dataframe(topic) first",
      );
    }
    this.#running = true;
    let http: AppHttp | null = null;
    try {
      http = startAppHttp(this, this.#registry, this.#options.http);
      await new Runner(this, this.#options, this.#registry, this.#topics, {
        commitInterval: this.#commitInterval,
        commitEvery: this.#commitEvery,
        kafkaProducer: (kafka, transactionalId) => this.#kafkaProducer(kafka, transactionalId),
        ensureTopics: (kafka) => this.#ensureTopics(kafka),
        setStop: (fn) => (this.#stop = fn),
      }).run(options.signal);
    } finally {
      await http?.close();
      this.#running = false;
      this.#stop = null;
    }
  }

  /** Starts the sources on their own (never transactional) producer. */
  async #startSources(
    onFatal: (e: Error) => void,
  ): Promise<{ runner: SourceRunner; close(): Promise<void> }> {
    const kafka = createKafka(
      this.brokerAddress,
      `${this.#options.clientId ?? `sa-${this.consumerGroup}`}-sources`,
      this.logger,
      this.security,
    );
    await this.#ensureTopics(kafka);
    const producer = this.#kafkaProducer(kafka);
    await connectOrExplain(producer.connect(), this.brokerAddress);
    const runner = new SourceRunner(this.#sources, {
      logger: this.logger,
      stateDir: this.#sourceStateDir === undefined ? undefined : `${this.#sourceStateDir}/sources`,
      checkpointMs: this.#commitInterval || 1000,
      onFatal,
    });
    try {
      await runner.start(producer);
    } catch (e) {
      await runner.stop(0).catch(() => {});
      await producer.disconnect().catch(() => {});
      throw e;
    }
    return {
      runner,
      async close() {
        try {
          await runner.stop();
        } finally {
          await producer.disconnect().catch(() => {});
        }
      },
    };
  }

  /** An app with sources only runs until they all finish or it is stopped. */
  async #waitForSources(runner: SourceRunner, signal: AbortSignal): Promise<void> {
    this.#running = true;
    let wake!: () => void;
    const stopped = new Promise<void>((r) => wake = r);
    this.#stop = wake;
    signal.addEventListener("abort", wake, { once: true });
    const signals = this.#options.handleSignals === false
      ? []
      : addSignalListeners(wake, this.logger);
    this.logger.info(`running sources: ${this.#sources.map((e) => e.source.name).join(", ")}`);
    try {
      if (!signal.aborted) await Promise.race([stopped, runner.finished()]);
    } finally {
      signal.removeEventListener("abort", wake);
      for (const remove of signals) remove();
      this.#running = false;
      this.#stop = null;
    }
  }
}

async function connectOrExplain(p: Promise<void>, address: string): Promise<void> {
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

/** A minimal async mutex: processing, timers, rebalances and checkpoints never interleave. */
class Mutex {
  #tail: Promise<void> = Promise.resolve();
  lock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.then(() => {}, () => {});
    return run;
  }
}

interface RunnerHooks {
  commitInterval: number;
  commitEvery: number;
  /** A producer; with a transactional id (exactly-once), one input partition's. */
  kafkaProducer(kafka: ReturnType<typeof createKafka>, transactionalId?: string): KafkaProducer;
  ensureTopics(kafka: ReturnType<typeof createKafka>): Promise<void>;
  setStop(fn: () => void): void;
}

/** One `run()`: owns the kafkajs clients, the compiled pipelines and the checkpoint. */
class Runner {
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

function addSignalListeners(handler: () => void, logger: Logger): Array<() => void> {
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
