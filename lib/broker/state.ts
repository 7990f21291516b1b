/**
 * What every API handler sees as `ctx.broker`: the configuration, the storage, the
 * coordinators and the table of served APIs.
 *
 * @module
 */
import type { Logger } from "../util/log.ts";
import type { ApiHandler } from "./apis/_types.ts";
import type { LogManager } from "./log/manager.ts";
import type { GroupCoordinator } from "./groups/coordinator.ts";
import type { TransactionCoordinator } from "./txn/coordinator.ts";
import { BufferPool } from "../kafka/protocol/buffer_pool.ts";
import type { UserStore } from "./sasl/users.ts";
import { BrokerStats } from "./stats.ts";
import { type BrokerLimits, ByteBudget, resolveLimits } from "./limits.ts";

/** The broker's settings, after defaults and port resolution. */
export interface BrokerConfig {
  /** Interface the listener is bound to. */
  host: string;
  /** Port actually listened on (resolved when 0 was asked for). */
  port: number;
  /** Host announced in Metadata and FindCoordinator. */
  advertisedHost: string;
  nodeId: number;
  clusterId: string;
  dataDir: string;
  /** Partition count of auto-created topics and of CreateTopics with num_partitions -1. */
  defaultPartitions: number;
  autoCreateTopics: boolean;
  fsync: "always" | "interval";
  fsyncIntervalMs: number;
  /** Period of the retention check (`log.retention.check.interval.ms`). */
  logRetentionCheckIntervalMs: number;
  /** Rest of the log cleaner between compaction passes (`log.cleaner.backoff.ms`). */
  logCleanerBackoffMs: number;
}

/** Shared broker state; one instance per running broker. */
export class BrokerState {
  /** Large buffers reused for Produce request frames and Fetch responses. */
  readonly buffers: BufferPool = new BufferPool();
  /** Traffic counters served by `/metrics`. */
  readonly stats: BrokerStats = new BrokerStats();
  /** Resource limits; {@link setLimits} replaces the defaults. */
  limits: BrokerLimits = resolveLimits();
  /** Bytes of large request frames being read or handled (`queued.max.request.bytes`). */
  requestBudget: ByteBudget = new ByteBudget(this.limits.queuedMaxRequestBytes);
  /** Chunk buffers of Fetch responses being written (see `response_stream.ts`). */
  fetchBudget: ByteBudget = new ByteBudget(this.limits.fetchMaxBytesTotal);

  constructor(
    readonly config: BrokerConfig,
    readonly logger: Logger,
    readonly logs: LogManager,
    readonly groups: GroupCoordinator,
    readonly txns: TransactionCoordinator,
    /** Every served API by key; ApiVersions advertises exactly these. */
    readonly handlers: ReadonlyMap<number, ApiHandler>,
    /** Aborted when the broker shuts down: long polls and parked requests end early. */
    readonly closing: AbortSignal,
    /** Who may connect (SASL on every connection), or null: no authentication. */
    readonly users: UserStore | null = null,
  ) {}

  /** Applies resolved limits (before any connection is served). */
  setLimits(limits: BrokerLimits): void {
    this.limits = limits;
    this.requestBudget = new ByteBudget(limits.queuedMaxRequestBytes);
    this.fetchBudget = new ByteBudget(limits.fetchMaxBytesTotal);
  }
}
