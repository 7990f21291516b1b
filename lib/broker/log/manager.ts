/**
 * The broker's storage: topics (durable in `topics.json` + `topics.jsonl`), their partition
 * logs (a topic is listed only once all its partitions opened and it is on disk), fetch
 * wake-ups, background fsync (interval mode) and background retention/compaction.
 *
 * @module
 */
import { join } from "node:path";
import type { Logger } from "../../util/log.ts";
import { ErrorCode, KafkaError } from "../../kafka/protocol/errors.ts";
import {
  type LogConfig,
  resolveLogConfig,
  TOPIC_CONFIGS,
  validateTopicConfigs,
  validateTopicName,
} from "./configs.ts";
import { PartitionLog } from "./partition_log.ts";
import { type StoredTopic, TopicsStore } from "./topics_store.ts";
import { type MaintenanceKind, runMaintenance, runMaintenanceInSlices } from "./maintenance.ts";

/** A topic as the API handlers see it. */
export interface TopicInfo {
  /** Topic name. */
  name: string;
  /** Partition count. */
  partitions: number;
  /** Topic id (UUID): a topic deleted and created again gets a new one. */
  id: string;
  /** Explicitly set configs only (defaults are in {@link LogManager.describeConfigs}). */
  configs: Record<string, string>;
}

/** One entry of {@link LogManager.describeConfigs}. */
export interface ConfigEntry {
  /** Config key, e.g. `retention.ms`. */
  name: string;
  /** Effective value (explicit or default). */
  value: string | null;
  /** Always false: every listed key can be set at creation. */
  readOnly: boolean;
  /** True when the topic does not set the key. */
  isDefault: boolean;
  /** Always false: topic configs hold no secrets. */
  sensitive: boolean;
}

/** Options of {@link LogManager.open}. */
export interface LogManagerOptions {
  /** Directory holding `topics.json` and one `<topic>-<partition>/` directory per partition. */
  dataDir: string;
  /** Partition count for auto-created topics (and CreateTopics with -1). */
  defaultPartitions: number;
  /** "always": fdatasync before each append returns; "interval": background fdatasync. */
  fsync: "always" | "interval";
  /** Background fdatasync period in "interval" mode (default 1000 ms). */
  fsyncIntervalMs?: number;
  /** Parent logger; storage logs as its `log` child. */
  logger: Logger;
  /**
   * How often retention runs over every partition (Kafka's `log.retention.check.interval.ms`;
   * default 30000 ms, Kafka's is 300000; 0 disables the timer).
   */
  retentionCheckIntervalMs?: number;
  /**
   * Pause of the cleaner between compaction passes (Kafka's `log.cleaner.backoff.ms`, default
   * 15000 ms; 0 disables it). Each pass compacts the partitions whose dirty ratio has reached
   * the topic's `min.cleanable.dirty.ratio`.
   */
  cleanerBackoffMs?: number;
  /** The default of both periods above; 0 disables both timers (tests run passes by hand). */
  maintenanceIntervalMs?: number;
  /** Clock for tests. */
  now?: () => number;
  /** Overrides the probe of whether the data dir's file system ignores case (tests). */
  caseInsensitiveFs?: boolean;
}

/** Upper bound on partitions per topic: a guard against absurd requests. */
export const MAX_PARTITIONS = 10000;

interface Topic {
  name: string;
  stored: StoredTopic;
  config: LogConfig;
  logs: PartitionLog[];
}

/** Owns every partition log under the data dir. */
export class LogManager {
  /** The data directory. */
  readonly dataDir: string;
  /** Partition count used when a topic is created with -1. */
  readonly defaultPartitions: number;
  private readonly opts: LogManagerOptions;
  private readonly logger: Logger;
  private readonly topics = new Map<string, Topic>();
  private fsyncTimer: ReturnType<typeof setInterval> | undefined;
  /** The background fsync pass in progress; close() waits for it. */
  private flushing: Promise<void> | null = null;
  private retentionTimer: ReturnType<typeof setInterval> | undefined;
  private cleanerTimer: ReturnType<typeof setTimeout> | undefined;
  /** Background passes run one after another on this chain; close waits for it. */
  private maintaining: Promise<void> = Promise.resolve();
  /** Kinds of pass queued or running: a timer tick never queues a second one of its kind. */
  private readonly queued = new Set<MaintenanceKind>();
  private closed = false;
  private store!: TopicsStore;
  /** On case-insensitive file systems (macOS, Windows) "Orders" and "orders" share a directory. */
  private caseInsensitive = false;

  private constructor(opts: LogManagerOptions) {
    this.opts = opts;
    this.dataDir = opts.dataDir;
    this.defaultPartitions = opts.defaultPartitions;
    this.logger = opts.logger.child("log");
  }

  /** Opens the data dir, recovering every partition (truncations are logged). */
  static open(opts: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(opts);
    Deno.mkdirSync(opts.dataDir, { recursive: true });
    m.caseInsensitive = opts.caseInsensitiveFs ?? probeCaseInsensitive(opts.dataDir);
    let stored: ReadonlyMap<string, StoredTopic>;
    try {
      m.store = TopicsStore.open(opts.dataDir);
      stored = m.store.topics;
      for (const [name, st] of stored) m.topics.set(name, m.openTopic(name, st));
    } catch (e) {
      m.closeAll();
      m.store?.close();
      return Promise.reject(e);
    }
    m.warnOrphans();
    // Topics stored before topic ids existed get one now, kept from then on.
    try {
      for (const [name, t] of m.topics) {
        if (t.stored.id !== undefined) continue;
        t.stored = { ...t.stored, id: crypto.randomUUID() };
        m.store.put(name, t.stored);
      }
    } catch (e) {
      m.closeAll();
      m.store.close();
      return Promise.reject(e);
    }
    if (opts.fsync === "interval") {
      const every = opts.fsyncIntervalMs ?? 1000;
      m.fsyncTimer = setInterval(() => m.flushAll(), every);
    }
    const retention = opts.retentionCheckIntervalMs ?? opts.maintenanceIntervalMs ?? 30000;
    if (retention > 0) {
      m.retentionTimer = setInterval(() => m.maintainInBackground("retention"), retention);
    }
    const backoff = opts.cleanerBackoffMs ?? opts.maintenanceIntervalMs ?? 15000;
    if (backoff > 0) m.scheduleCleaner(backoff);
    m.logger.info(
      `opened ${opts.dataDir}: ${stored.size} topic(s), ${
        [...m.topics.values()].reduce((n, t) => n + t.logs.length, 0)
      } partition(s)`,
    );
    return Promise.resolve(m);
  }

  private partitionDir(topic: string, index: number): string {
    return join(this.dataDir, `${topic}-${index}`);
  }

  /** Opens every partition of a topic; the caller registers it (nothing stays open on failure). */
  private openTopic(name: string, stored: StoredTopic): Topic {
    const t: Topic = { name, stored, config: resolveLogConfig(stored.configs), logs: [] };
    try {
      for (let i = 0; i < stored.partitions; i++) t.logs.push(this.openPartition(t, i));
    } catch (e) {
      this.closeLogs(t.logs);
      throw e;
    }
    return t;
  }

  private closeLogs(logs: PartitionLog[]): void {
    for (const log of logs) {
      try {
        log.close();
      } catch (e) {
        this.logger.error(`closing ${log.label}: ${(e as Error).message}`);
      }
    }
  }

  private openPartition(t: Topic, index: number): PartitionLog {
    return PartitionLog.open(t.name, index, this.partitionDir(t.name, index), {
      fsync: this.opts.fsync,
      logger: this.logger,
      config: () => t.config,
      now: this.opts.now,
    });
  }

  private warnOrphans(): void {
    const known = new Set<string>();
    for (const t of this.topics.values()) {
      for (let i = 0; i < t.logs.length; i++) known.add(`${t.name}-${i}`);
    }
    for (const e of Deno.readDirSync(this.dataDir)) {
      if (e.isDirectory && /-\d+$/.test(e.name) && !e.name.startsWith("__") && !known.has(e.name)) {
        this.logger.warn(`ignoring ${join(this.dataDir, e.name)}: no such topic in topics.json`);
      }
    }
  }

  private info(t: Topic): TopicInfo {
    return {
      name: t.name,
      partitions: t.logs.length,
      id: t.stored.id!,
      configs: { ...t.stored.configs },
    };
  }

  private ensureOpen(): void {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, "log manager is closed");
  }

  /** All topics, sorted by name. */
  listTopics(): TopicInfo[] {
    return [...this.topics.values()].sort((a, b) => a.name < b.name ? -1 : 1).map((t) =>
      this.info(t)
    );
  }

  /** One topic, or undefined. */
  getTopic(name: string): TopicInfo | undefined {
    const t = this.topics.get(name);
    return t && this.info(t);
  }

  /**
   * Creates a topic (partitions -1 = the default count). Throws TOPIC_ALREADY_EXISTS,
   * INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS or INVALID_CONFIG.
   */
  createTopic(
    name: string,
    partitions: number,
    configs: Record<string, string> = {},
    validateOnly = false,
  ): TopicInfo {
    this.ensureOpen();
    validateTopicName(name);
    if (this.topics.has(name)) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${name} already exists`);
    }
    if (this.caseInsensitive) {
      const lower = name.toLowerCase();
      const clash = [...this.topics.keys()].find((t) => t.toLowerCase() === lower);
      if (clash !== undefined) {
        throw new KafkaError(
          ErrorCode.INVALID_TOPIC_EXCEPTION,
          `topic ${name} differs from existing topic ${clash} only in case, and ${this.dataDir} ` +
            `is on a case-insensitive file system where both would share one directory`,
        );
      }
    }
    const n = partitions === -1 ? this.defaultPartitions : partitions;
    if (!Number.isInteger(n) || n < 1 || n > MAX_PARTITIONS) {
      throw new KafkaError(
        ErrorCode.INVALID_PARTITIONS,
        `topic ${name}: partition count ${partitions} must be between 1 and ${MAX_PARTITIONS}`,
      );
    }
    const cfg = validateTopicConfigs(name, configs);
    const id = crypto.randomUUID();
    if (validateOnly) return { name, partitions: n, id, configs: cfg };
    for (let i = 0; i < n; i++) {
      // A leftover directory from an interrupted delete must not resurrect old data.
      try {
        Deno.removeSync(this.partitionDir(name, i), { recursive: true });
      } catch { /* absent */ }
    }
    const t = this.openTopic(name, { partitions: n, configs: cfg, id });
    try {
      this.store.put(name, t.stored);
    } catch (e) {
      this.closeLogs(t.logs);
      throw e;
    }
    this.topics.set(name, t);
    this.logger.info(`created topic ${name} with ${n} partition(s)`);
    return this.info(t);
  }

  /** Deletes a topic and its data. Throws UNKNOWN_TOPIC_OR_PARTITION. */
  deleteTopic(name: string): void {
    this.ensureOpen();
    const t = this.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
    this.store.delete(name); // throws (the topic stays) when it cannot be recorded
    this.topics.delete(name);
    for (const log of t.logs) {
      try {
        log.destroy();
      } catch (e) {
        this.logger.warn(`deleting ${log.label}: ${(e as Error).message}`);
      }
    }
    this.logger.info(`deleted topic ${name}`);
  }

  /** Grows a topic to `total` partitions. Throws INVALID_PARTITIONS unless it increases. */
  createPartitions(name: string, total: number, validateOnly = false): void {
    this.ensureOpen();
    const t = this.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
    if (!Number.isInteger(total) || total <= t.logs.length || total > MAX_PARTITIONS) {
      throw new KafkaError(
        ErrorCode.INVALID_PARTITIONS,
        `topic ${name} has ${t.logs.length} partition(s); new total ${total} must be larger (max ${MAX_PARTITIONS})`,
      );
    }
    if (validateOnly) return;
    const added: PartitionLog[] = [];
    try {
      for (let i = t.logs.length; i < total; i++) {
        try {
          Deno.removeSync(this.partitionDir(name, i), { recursive: true });
        } catch { /* absent */ }
        added.push(this.openPartition(t, i));
      }
      this.store.put(name, { ...t.stored, partitions: total });
    } catch (e) {
      this.closeLogs(added);
      throw e;
    }
    t.logs.push(...added);
    t.stored = { ...t.stored, partitions: total };
    this.logger.info(`topic ${name} now has ${total} partition(s)`);
  }

  /**
   * Replaces a topic's explicit configs with `configs` (AlterConfigs and
   * IncrementalAlterConfigs compute the whole new set). Every key and value is validated
   * first: INVALID_CONFIG names the bad key, and nothing changes. Takes effect at once for
   * appends, retention and compaction.
   */
  alterConfigs(name: string, configs: Record<string, string>, validateOnly = false): void {
    this.ensureOpen();
    const t = this.topics.get(name);
    if (!t) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${name} does not exist`);
    }
    const cfg = validateTopicConfigs(name, configs);
    if (validateOnly) return;
    const stored = { ...t.stored, configs: cfg };
    this.store.put(name, stored); // throws (nothing changes) when it cannot be recorded
    t.stored = stored;
    t.config = resolveLogConfig(cfg);
    this.logger.info(`topic ${name} configs now ${JSON.stringify(cfg)}`);
  }

  /** Every supported config of a topic with its value and whether it is the default. */
  describeConfigs(name: string): ConfigEntry[] {
    const t = this.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no topic ${name}`);
    return [...TOPIC_CONFIGS.entries()].map(([key, spec]) => ({
      name: key,
      value: t.stored.configs[key] ?? spec.default,
      readOnly: false,
      isDefault: !(key in t.stored.configs),
      sensitive: false,
    }));
  }

  /** The partition log, or undefined for an unknown topic or partition. */
  partition(topic: string, index: number): PartitionLog | undefined {
    return this.topics.get(topic)?.logs[index];
  }

  /** The resolved config of a topic (retention/compaction use it). */
  logConfig(topic: string): LogConfig | undefined {
    return this.topics.get(topic)?.config;
  }

  /** Resolves on the first append to any of `partitions`, or after timeoutMs, or on abort. */
  waitForAppend(
    partitions: PartitionLog[],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted || this.closed) return resolve();
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const p of partitions) p.waiters.delete(finish);
        signal?.removeEventListener("abort", finish);
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, timeoutMs));
      for (const p of partitions) p.waiters.add(finish);
      signal?.addEventListener("abort", finish);
    });
  }

  /**
   * fsyncs partitions written since the last call (interval mode). The fdatasyncs run off the
   * event loop: a synchronous one stalls every connection for its duration (3-80 ms each on a
   * busy disk), which showed in produce p99 latency. A tick is skipped while one is running.
   */
  flushAll(): Promise<void> {
    if (this.flushing) return this.flushing;
    const logs = [...this.topics.values()].flatMap((t) => t.logs);
    this.flushing = (async () => {
      for (const log of logs) {
        try {
          await log.flushAsync();
        } catch (e) {
          this.logger.error(`fsync ${log.label}: ${(e as Error).message}`);
        }
      }
    })().finally(() => this.flushing = null);
    return this.flushing;
  }

  /**
   * {@link runMaintenance} for the timer: one partition at a time with a turn of the event
   * loop between them, so requests are served in between instead of after the whole pass.
   */
  maintainInBackground(kind: MaintenanceKind = "all"): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.queued.has(kind)) return this.maintaining;
    this.queued.add(kind);
    this.maintaining = this.maintaining
      .then(() => this.maintenancePass(kind))
      .catch((e) => this.logger.error(`maintenance pass: ${(e as Error).message}`))
      .finally(() => this.queued.delete(kind));
    return this.maintaining;
  }

  /** The cleaner: a compaction pass, then `backoffMs` of rest, until close. */
  private scheduleCleaner(backoffMs: number): void {
    this.cleanerTimer = setTimeout(async () => {
      await this.maintainInBackground("compaction");
      if (!this.closed) this.scheduleCleaner(backoffMs);
    }, backoffMs);
  }

  private async maintenancePass(kind: MaintenanceKind): Promise<void> {
    const now = this.opts.now?.() ?? Date.now();
    const yieldTurn = () => new Promise((r) => setTimeout(r, 0));
    for (const t of [...this.topics.values()]) {
      for (const log of [...t.logs]) {
        await yieldTurn();
        // Closed, or the topic was deleted or re-created while we yielded.
        const alive = () => !this.closed && this.topics.get(t.name)?.logs[log.index] === log;
        if (!alive()) continue;
        try {
          // A slice of compaction at a time, with a turn of the event loop in between.
          const steps = runMaintenanceInSlices(
            log,
            this.topics.get(t.name)!.config,
            now,
            this.logger,
            kind,
          );
          for (let step = steps.next(); !step.done; step = steps.next()) {
            if (step.value) await step.value; // an fdatasync on a worker thread
            await yieldTurn();
            if (!alive()) {
              steps.return();
              break;
            }
          }
        } catch (e) {
          this.logger.error(`maintenance of ${log.label}: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Runs retention and compaction once over every partition. */
  runMaintenance(now: number = this.opts.now?.() ?? Date.now()): void {
    if (this.closed) return;
    for (const t of this.topics.values()) {
      for (const log of t.logs) {
        try {
          runMaintenance(log, t.config, now, this.logger);
        } catch (e) {
          this.logger.error(`maintenance of ${log.label}: ${(e as Error).message}`);
        }
      }
    }
  }

  private closeAll(): void {
    for (const t of this.topics.values()) this.closeLogs(t.logs);
  }

  /** Flushes and fsyncs every partition, stops background timers, wakes parked fetches. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.fsyncTimer);
    clearInterval(this.retentionTimer);
    clearTimeout(this.cleanerTimer);
    await this.maintaining;
    await this.flushing;
    this.closeAll();
    this.store.close();
  }
}

/** Whether `dir` is on a file system that treats names case-insensitively. */
function probeCaseInsensitive(dir: string): boolean {
  const probe = join(dir, ".case-probe");
  try {
    Deno.writeTextFileSync(probe, "");
    try {
      Deno.statSync(join(dir, ".CASE-PROBE"));
      return true;
    } catch {
      return false;
    } finally {
      Deno.removeSync(probe);
    }
  } catch {
    return false;
  }
}
