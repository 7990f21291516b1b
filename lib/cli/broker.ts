/**
 * `sa broker`: runs the embedded Kafka-compatible broker in the foreground until Ctrl+C or
 * SIGTERM.
 *
 * @module
 */
import { isAbsolute, join } from "node:path";
import { type CliCommand, CliError } from "./_command.ts";
import { flag, int, parseCommandArgs, str } from "./_args.ts";
import { DataDirLockedError, startBroker } from "../broker/mod.ts";
import { Logger, parseLogLevel } from "../util/log.ts";

/** The `broker` command. */
export const command: CliCommand = {
  name: "broker",
  summary: "Run the embedded Kafka-compatible broker (no Docker needed)",
  help: `Usage: sa broker [options]

Runs a single-node Kafka-compatible broker in the foreground. Any Kafka client (kafkajs,
librdkafka/kcat/confluent-kafka, kafka-python) can connect to it unchanged. Data is kept in
the data dir and survives restarts. Stop it with Ctrl+C.

Options:
  --host HOST          interface to bind (default 127.0.0.1). Any other value exposes the
                       broker to the network WITHOUT authentication or encryption.
  --port PORT          port to listen on (default 19092; 0 picks a free port)
  --data-dir DIR       where topics, offsets and transactions are stored
                       (default .sa/broker, relative to the current directory)
  --partitions N       partitions of auto-created topics (default 1)
  --fsync MODE         always: fdatasync before acknowledging each produce;
                       interval: fdatasync every second in the background (default)
  --no-auto-create     answer UNKNOWN_TOPIC_OR_PARTITION for unknown topics instead of
                       creating them on first use
  --log-level LEVEL    debug, info (default), warn or error
  --log-retention-check-interval-ms MS
                       how often expired segments are deleted (default 30000;
                       Kafka's log.retention.check.interval.ms)
  --log-cleaner-backoff-ms MS
                       rest between compaction passes (default 15000; Kafka's
                       log.cleaner.backoff.ms). Per topic: retention.ms, segment.ms,
                       min.cleanable.dirty.ratio (sa topics alter-config)

Examples:
  sa broker
  sa broker --port 9092 --partitions 3
  sa broker --data-dir /tmp/kafka --fsync always
  sa broker --port 0          # prints "listening on 127.0.0.1:PORT"
`,
  async run(argv, env) {
    const args = parseCommandArgs("broker", argv, {
      host: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      partitions: { type: "string" },
      fsync: { type: "string" },
      "no-auto-create": { type: "boolean" },
      "log-level": { type: "string" },
      "log-retention-check-interval-ms": { type: "string" },
      "log-cleaner-backoff-ms": { type: "string" },
    });
    if (args.positionals.length) {
      throw new CliError(`unexpected arguments: ${args.positionals.join(" ")}`, 2);
    }
    const host = str(args, "host") ?? "127.0.0.1";
    const port = int(args, "port", 0) ?? 19092;
    if (port > 65535) throw new CliError(`--port must be at most 65535, not ${port}`, 2);
    const partitions = int(args, "partitions", 1) ?? 1;
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
        logRetentionCheckIntervalMs,
        logCleanerBackoffMs,
        logger,
      });
    } catch (err) {
      if (err instanceof Deno.errors.AddrInUse) {
        throw new CliError(
          `${host}:${port} is already in use (another broker?); pick another with --port`,
        );
      }
      if (err instanceof Deno.errors.AddrNotAvailable) {
        throw new CliError(`cannot bind ${host}:${port}: no such local address (--host)`);
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
