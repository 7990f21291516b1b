/**
 * `Application`: runs dataframes against Kafka with kafkajs. Consumes in batches, processes
 * each message synchronously through the compiled pipeline, produces in batches, and commits
 * offsets through checkpoints (see `checkpoint/checkpoint.ts`) so nothing is lost on a crash.
 *
 * @module
 */

import type { Admin, Producer as KafkaProducer } from "kafkajs";
import { Partitioners } from "kafkajs";
import { Logger, parseLogLevel } from "../util/log.ts";
import { DataFrameRegistry } from "./dataframe/_pipeline.ts";
import { StreamingDataFrame } from "./dataframe/dataframe.ts";
import { ConfigurationError, type MessageOrigin } from "./errors.ts";
import { createKafka, ensureTopics, readEnv, resolveBrokerAddress } from "./kafka/_kafka.ts";
import { BatchingProducer, Producer } from "./kafka/producer.ts";
import {
  type ClientSecurity,
  resolveSecurity,
  type SaslCredentials,
  type SecurityProtocol,
  type SslFiles,
} from "./kafka/security.ts";
import { DurableStateBackend, groupStateDir } from "./state/durable.ts";
import { RunObservers } from "./observe.ts";
import { type AppHttp, type AppHttpOptions, startAppHttp } from "../serve/app_http.ts";
import type { StateBackend } from "./state/types.ts";
import { Topic, type TopicOptions } from "./topic.ts";
import type { LogLevel } from "./types.ts";
import type { Source } from "./sources/source.ts";
import { type SourceEntry, SourceRunner } from "./sources/_runner.ts";
import { Runner } from "./_run_loop.ts";
import { addSignalListeners, connectOrExplain } from "./_run_support.ts";

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

export { DEAD_LETTER_HEADERS } from "./errors.ts";

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
