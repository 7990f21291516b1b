/**
 * `sa broker`: runs the embedded Kafka-compatible broker in the foreground until Ctrl+C or
 * SIGTERM.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import { type CliCommand, CliError } from "./_command.ts";
import { flag, int, parseCommandArgs, str } from "./_args.ts";
import { DataDirLockedError, MetricsBindError, startBroker } from "../broker/mod.ts";
import { brokerSecurityOptions, SECURITY_FLAGS, SECURITY_HELP } from "./_broker_security.ts";
import { runUsers, USERS_HELP } from "./_broker_users.ts";
import { Logger, parseLogLevel } from "../util/log.ts";

/** The `broker` command. */
export const command: CliCommand = {
  name: "broker",
  summary: "Run the embedded Kafka-compatible broker (no Docker needed)",
  help: `Usage: sa broker [options]
       sa broker users add|remove|list ...   (users of --users, below)

Runs a single-node Kafka-compatible broker in the foreground. Any Kafka client (kafkajs,
librdkafka/kcat/confluent-kafka, kafka-python) can connect to it unchanged. Data is kept in
the data dir and survives restarts. Stop it with Ctrl+C.

Options:
  --host HOST          interface to bind (default 127.0.0.1). Any other value exposes the
                       broker to the network: use --users and --tls-cert/--tls-key then.
  --port PORT          port to listen on (default 19092; 0 picks a free port)
  --data-dir DIR       where topics, offsets and transactions are stored
                       (default .sa/broker, relative to the current directory)
  --partitions N       partitions of auto-created topics (default 1)
  --fsync MODE         always: fdatasync before acknowledging each produce;
                       interval: fdatasync every second in the background (default)
  --no-auto-create     answer UNKNOWN_TOPIC_OR_PARTITION for unknown topics instead of
                       creating them on first use
  --metrics-port PORT  serve Prometheus /metrics on 127.0.0.1:PORT (0 picks a free port):
                       consumer-group lag (messages and exact seconds) under
                       kafka-lag-exporter's names, watermarks, traffic counters
  --log-level LEVEL    debug, info (default), warn or error
  --group-initial-rebalance-delay-ms MS
                       how long a new consumer group's first rebalance waits for more
                       members, so consumers starting together settle in one generation
                       (default 3000, as Kafka; 0 answers the first member at once)
  --log-retention-check-interval-ms MS
                       how often expired segments are deleted (default 30000;
                       Kafka's log.retention.check.interval.ms)
  --log-cleaner-backoff-ms MS
                       rest between compaction passes (default 15000; Kafka's
                       log.cleaner.backoff.ms). Per topic: retention.ms, segment.ms,
                       min.cleanable.dirty.ratio (sa topics alter-config)
${SECURITY_HELP}

Limits (docs/broker.md, "Limits"):
  --memory-limit MIB   memory target (default 512); a quarter each bounds request frames
                       in flight and Fetch responses not yet written
  --max-connections N  connections past N are refused (default 512)
  --idle-timeout-ms MS close connections idle this long (default 600000)
  --max-open-files N   segment files kept open at once (default 256)

Examples:
  sa broker
  sa broker --port 9092 --partitions 3
  sa broker --data-dir /tmp/kafka --fsync always
  sa broker --port 0          # prints "listening on 127.0.0.1:PORT"
  sa broker --tls-cert server.crt --tls-key server.key --users .sa/users.json
  sa broker --metrics-port 9308

${USERS_HELP}`,
  async run(argv, env) {
    if (argv[0] === "users") return await runUsers(argv.slice(1), env);
    const args = parseCommandArgs("broker", argv, {
      host: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      partitions: { type: "string" },
      fsync: { type: "string" },
      "no-auto-create": { type: "boolean" },
      "log-level": { type: "string" },
      ...SECURITY_FLAGS,
      "metrics-port": { type: "string" },
      "memory-limit": { type: "string" },
      "max-connections": { type: "string" },
      "idle-timeout-ms": { type: "string" },
      "max-open-files": { type: "string" },
      "group-initial-rebalance-delay-ms": { type: "string" },
      "log-retention-check-interval-ms": { type: "string" },
      "log-cleaner-backoff-ms": { type: "string" },
    });
    if (args.positionals.length) {
      throw new CliError(`unexpected arguments: ${args.positionals.join(" ")}`, 2);
    }
    const host = str(args, "host") ?? "127.0.0.1";
    const port = int(args, "port", 0) ?? 19092;
    if (port > 65535) throw new CliError(`--port must be at most 65535, not ${port}`, 2);
    const metricsPort = int(args, "metrics-port", 0);
    if (metricsPort !== undefined && metricsPort > 65535) {
      throw new CliError(`--metrics-port must be at most 65535, not ${metricsPort}`, 2);
    }
    const partitions = int(args, "partitions", 1) ?? 1;
    const initialDelay = int(args, "group-initial-rebalance-delay-ms", 0) ?? 3000;
    const fsync = str(args, "fsync") ?? "interval";
    if (fsync !== "always" && fsync !== "interval") {
      throw new CliError(`--fsync must be "always" or "interval", not "${fsync}"`, 2);
    }
    let level;
    try {
      level = parseLogLevel(str(args, "log-level") ?? "info");
    } catch (err) {
      throw new CliError(`--log-level: ${(err as Error).message}`, 2);
    }
    const logRetentionCheckIntervalMs = int(args, "log-retention-check-interval-ms", 1);
    const logCleanerBackoffMs = int(args, "log-cleaner-backoff-ms", 1);
    const dir = str(args, "data-dir") ?? join(".sa", "broker");
    const dataDir = isAbsolute(dir) ? dir : join(env.cwd, dir);
    const logger = new Logger("broker", level, (line) => env.stderr(line + "\n"));
    const security = await brokerSecurityOptions(args, env.cwd);
    const memoryMiB = int(args, "memory-limit", 16);
    const limits = {
      memoryLimitBytes: memoryMiB === undefined ? undefined : memoryMiB * 1024 * 1024,
      maxConnections: int(args, "max-connections", 1),
      idleTimeoutMs: int(args, "idle-timeout-ms", 1),
      maxOpenSegmentFiles: int(args, "max-open-files", 1),
    };

    if (env.signal.aborted) return 0;
    let broker;
    try {
      broker = await startBroker({
        host,
        port,
        dataDir,
        defaultPartitions: partitions,
        fsync,
        autoCreateTopics: !flag(args, "no-auto-create"),
        groupInitialRebalanceDelayMs: initialDelay,
        logRetentionCheckIntervalMs,
        logCleanerBackoffMs,
        logger,
        ...security,
        metricsPort,
        limits: Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
      });
    } catch (err) {
      if (err instanceof MetricsBindError) {
        throw new CliError(`--metrics-port: ${err.message}`);
      }
      if (err instanceof Deno.errors.AddrInUse) {
        throw new CliError(
          `${host}:${port} is already in use (another broker?); pick another with --port`,
        );
      }
      if (err instanceof Deno.errors.AddrNotAvailable) {
        throw new CliError(`cannot bind ${host}:${port}: no such local address (--host)`);
      }
      if (err instanceof Error && err.message.startsWith("invalid TLS certificate or key")) {
        throw new CliError(`--tls-cert/--tls-key: ${err.message}`, 2);
      }
      if (err instanceof DataDirLockedError) {
        throw new CliError(`${err.message}; stop it first or use another --data-dir`);
      }
      if (err instanceof Deno.errors.PermissionDenied) {
        throw new CliError(`cannot bind ${host}:${port} or use ${dataDir}: ${err.message}`);
      }
      throw err;
    }
    await new Promise<void>((resolve) => {
      if (env.signal.aborted) return resolve();
      env.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    logger.info("stopping (signal received)");
    await broker.close();
    return 0;
  },
};
