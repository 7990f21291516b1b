/**
 * The embedded Kafka-compatible broker, usable in-process.
 *
 * ```ts
 * import { startBroker } from "./mod.ts";
 * const broker = await startBroker({ port: 0, dataDir: "/tmp/sa-broker" });
 * console.log(broker.address); // "127.0.0.1:PORT"
 * await broker.close();
 * ```
 *
 * @module
 */
import { join } from "node:path";
import { Logger } from "../util/log.ts";
import { handlers, saslHandlers } from "./apis/mod.ts";
import { LogManager } from "./log/manager.ts";
import { GroupCoordinator } from "./groups/coordinator.ts";
import { TransactionCoordinator } from "./txn/coordinator.ts";
import { BrokerServer } from "./server.ts";
import { type MetricsServer, serveBrokerMetrics } from "./metrics.ts";
import { type BrokerConfig, BrokerState } from "./state.ts";
import { TlsListener, type TlsListenOptions } from "./tls/listener.ts";
import type { UserStore } from "./sasl/users.ts";
import { type BrokerLimits, resolveLimits } from "./limits.ts";
import { openSegmentFiles } from "./log/open_files.ts";

export type { BrokerConfig } from "./state.ts";
export { BrokerState } from "./state.ts";
export { checkPem as checkTlsMaterial, type TlsListenOptions } from "./tls/listener.ts";
export { UsersFileError, UserStore } from "./sasl/users.ts";
export { MetricsBindError } from "./metrics.ts";

/** Options of {@link startBroker}; everything but `dataDir` has a default. */
export interface BrokerOptions {
  /** Directory holding topics, segments, offsets and transaction state. Created if missing. */
  dataDir: string;
  /** Interface to bind. Default "127.0.0.1". */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 19092. */
  port?: number;
  /** Host announced to clients. Default: 127.0.0.1 for loopback/any, else `host`. */
  advertisedHost?: string;
  /** Default 1. */
  nodeId?: number;
  /** Partition count of auto-created topics. Default 1. */
  defaultPartitions?: number;
  /** Create unknown topics on Metadata/Produce. Default true. */
  autoCreateTopics?: boolean;
  /** "always": fdatasync before each acknowledgement; "interval" (default): in the background. */
  fsync?: "always" | "interval";
  /** Background fdatasync period for fsync "interval". Default 1000. */
  fsyncIntervalMs?: number;
  /** How often retention runs (`log.retention.check.interval.ms`). Default 30000. */
  logRetentionCheckIntervalMs?: number;
  /** The log cleaner's pause between compaction passes (`log.cleaner.backoff.ms`). Default 15000. */
  logCleanerBackoffMs?: number;
  /** Frames larger than this close the connection. Default 100 MiB. */
  maxFrameBytes?: number;
  /**
   * Kafka's `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty group
   * waits for more members, so consumers starting together settle in one generation. Default
   * 0 here (embedded and test brokers); `sa broker` defaults to Kafka's 3000, `sa up` to 500.
   */
  groupInitialRebalanceDelayMs?: number;
  /** Where log lines go. Default: an INFO logger named "broker" on stderr. */
  logger?: Logger;
  /** Serve TLS instead of plain TCP (PEM material; `clientCa` requires client certificates). */
  tls?: TlsListenOptions;
  /** Require SASL (PLAIN, SCRAM-SHA-256/512) from every client, checked against these users. */
  users?: UserStore;
  /** Serve Prometheus `/metrics` on this port (0 picks a free one). Default: off. */
  metricsPort?: number;
  /** Interface of the metrics server. Default "127.0.0.1". */
  metricsHost?: string;
  /** Memory, connection and file limits (see limits.ts); unset ones take their defaults. */
  limits?: Partial<BrokerLimits>;
}

/** A running broker. */
export interface RunningBroker {
  /** "host:port" to give clients as their bootstrap server. */
  readonly address: string;
  /** The port actually bound. */
  readonly port: number;
  /** The resolved configuration. */
  readonly config: BrokerConfig;
  /** Port of the `/metrics` server, when `metricsPort` was given. */
  readonly metricsPort?: number;
  /** Stops listening, closes connections, then flushes and closes storage and coordinators. */
  close(): Promise<void>;
}

const LOOPBACK_OR_ANY = new Set(["127.0.0.1", "0.0.0.0", "localhost", "::", "::1", ""]);

/** The host announced to clients when none is configured. */
export function defaultAdvertisedHost(host: string): string {
  return LOOPBACK_OR_ANY.has(host) ? "127.0.0.1" : host;
}

/** Thrown by {@link startBroker} when another broker already uses the data dir. */
export class DataDirLockedError extends Error {
  constructor(readonly dataDir: string) {
    super(`data dir ${dataDir} is already used by another running broker`);
    this.name = "DataDirLockedError";
  }
}

/**
 * Takes an exclusive lock on `<dataDir>/.lock` for the broker's lifetime, so two brokers (in
 * this process or another) never write the same segments. The OS drops it if the process dies.
 */
function lockDataDir(dataDir: string): Deno.FsFile {
  const file = Deno.openSync(join(dataDir, ".lock"), { create: true, write: true });
  let locked = false;
  try {
    locked = file.tryLockSync(true);
  } finally {
    if (!locked) file.close();
  }
  if (!locked) throw new DataDirLockedError(dataDir);
  return file;
}

interface MetaFile {
  clusterId: string;
  nodeId: number;
}

/** Reads (or creates, atomically) the data dir's cluster identity, stable across restarts. */
async function loadClusterId(dataDir: string, nodeId: number): Promise<string> {
  const path = join(dataDir, "meta.json");
  try {
    const meta = JSON.parse(await Deno.readTextFile(path)) as MetaFile;
    if (typeof meta.clusterId === "string" && meta.clusterId.length > 0) return meta.clusterId;
    throw new Error(`${path}: missing clusterId`);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new Error(
        `cannot read broker identity ${path}: ${err instanceof Error ? err.message : err}`,
      );
    }
  }
  const clusterId = crypto.randomUUID().replaceAll("-", "").slice(0, 22);
  const tmp = `${path}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify({ clusterId, nodeId } satisfies MetaFile) + "\n");
  await Deno.rename(tmp, path);
  return clusterId;
}

/**
 * Starts a broker: opens (and recovers) storage, the group and transaction coordinators, then
 * listens. Resolves once clients can connect.
 */
export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const host = options.host ?? "127.0.0.1";
  const nodeId = options.nodeId ?? 1;
  const logger = options.logger ?? new Logger("broker");
  const fsync = options.fsync ?? "interval";
  const fsyncIntervalMs = options.fsyncIntervalMs ?? 1000;
  const defaultPartitions = options.defaultPartitions ?? 1;
  if (!Number.isInteger(defaultPartitions) || defaultPartitions < 1) {
    throw new Error(`defaultPartitions must be a positive integer, got ${defaultPartitions}`);
  }
  const limits = resolveLimits(options.limits);
  // Process-wide: several brokers in one process share the descriptor limit.
  openSegmentFiles.max = limits.maxOpenSegmentFiles;
  const logRetentionCheckIntervalMs = options.logRetentionCheckIntervalMs ?? 30000;
  const logCleanerBackoffMs = options.logCleanerBackoffMs ?? 15000;
  for (const [name, v] of Object.entries({ logRetentionCheckIntervalMs, logCleanerBackoffMs })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be an integer >= 1, got ${v}`);
  }
  const dataDir = options.dataDir;
  await Deno.mkdir(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  let clusterId: string;
  let logs: LogManager;
  try {
    clusterId = await loadClusterId(dataDir, nodeId);
    logs = await LogManager.open({
      dataDir,
      defaultPartitions,
      fsync,
      fsyncIntervalMs,
      logger,
      retentionCheckIntervalMs: logRetentionCheckIntervalMs,
      cleanerBackoffMs: logCleanerBackoffMs,
    });
  } catch (err) {
    lock.close();
    throw err;
  }
  let groups: GroupCoordinator | undefined;
  let txns: TransactionCoordinator | undefined;
  let server: BrokerServer | undefined;
  const closing = new AbortController();
  try {
    groups = await GroupCoordinator.open({
      dataDir,
      logger,
      fsync,
      initialRebalanceDelayMs: options.groupInitialRebalanceDelayMs,
    });
    txns = await TransactionCoordinator.open({ dataDir, logs, groups, logger, fsync });
    const g = groups, t = txns;
    const port = options.port ?? 19092;
    const listener = options.tls
      ? await TlsListener.listen({ ...options.tls, hostname: host, port }, logger.child("net"))
      : undefined;
    server = BrokerServer.listen(
      { host, port, maxFrameBytes: options.maxFrameBytes, listener },
      (addr) => {
        const config: BrokerConfig = {
          host,
          port: addr.port,
          advertisedHost: options.advertisedHost ?? defaultAdvertisedHost(host),
          nodeId,
          clusterId,
          dataDir,
          defaultPartitions,
          autoCreateTopics: options.autoCreateTopics ?? true,
          fsync,
          fsyncIntervalMs,
          logRetentionCheckIntervalMs,
          logCleanerBackoffMs,
        };
        const served = options.users ? saslHandlers : handlers;
        const state = new BrokerState(
          config,
          logger,
          logs,
          g,
          t,
          served,
          closing.signal,
          options.users,
        );
        state.setLimits(limits);
        return state;
      },
      logger.child("net"),
    );
  } catch (err) {
    await txns?.close();
    await groups?.close();
    await logs.close();
    lock.close();
    throw err;
  }

  const srv = server;
  const config = srv.brokerState.config;
  let metrics: MetricsServer | undefined;
  if (options.metricsPort !== undefined) {
    try {
      metrics = serveBrokerMetrics(srv.brokerState, {
        host: options.metricsHost,
        port: options.metricsPort,
      });
    } catch (err) {
      closing.abort();
      await srv.close();
      await txns.close();
      await groups.close();
      await logs.close();
      lock.close();
      throw err;
    }
    logger.info(
      `metrics on http://${options.metricsHost ?? "127.0.0.1"}:${metrics.port}/metrics`,
    );
  }
  const address = `${config.advertisedHost}:${config.port}`;
  const security = `${options.tls ? (options.tls.clientCa ? "mutual TLS" : "TLS") : "plaintext"}` +
    (options.users ? `, SASL (${options.users.names.length} users)` : "");
  logger.info(
    `listening on ${address} (${security}; data dir ${dataDir}, cluster ${clusterId})`,
  );
  if (!LOOPBACK_OR_ANY.has(host) || host === "0.0.0.0" || host === "::") {
    if (!options.users) {
      logger.warn(
        `bound to ${host}: this broker has no authentication${
          options.tls ? "" : " or encryption"
        }; anyone who can reach this address can read and write every topic (use --users)`,
      );
    } else if (!options.tls) {
      logger.warn(
        `bound to ${host} without TLS: SASL/PLAIN passwords and all data cross the network ` +
          `unencrypted (use --tls-cert and --tls-key)`,
      );
    }
  }
  let closed: Promise<void> | null = null;
  return {
    address,
    port: config.port,
    config,
    metricsPort: metrics?.port,
    close() {
      closed ??= (async () => {
        closing.abort();
        await metrics?.close();
        await srv.close();
        await txns!.close();
        await groups!.close();
        await logs.close();
        lock.close(); // closing the file releases the lock
        logger.info("broker stopped");
      })();
      return closed;
    },
  };
}
