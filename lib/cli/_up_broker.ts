/**
 * The broker `sa up` runs against: the embedded one (data in `.sa/broker`, its log prefixed
 * `broker |` and in `.sa/logs/broker.log`), or a running one given with `--broker`, checked
 * up front.
 *
 * The embedded broker logs at WARN by default, so that `sa logs broker` stays empty until
 * something goes wrong; its retention deletions (an INFO line naming the topic, partition,
 * offsets and reason) are shown anyway: data that disappears must never surprise a student.
 *
 * @module
 */
import { Logger, type LogLevel, type LogSink } from "../util/log.ts";
import { CliError } from "./_command.ts";
import { checkBroker } from "../runner/broker_check.ts";
import type { ClientSecurity } from "../stream/kafka/security.ts";

/** A broker `sa up` uses; `close()` stops the embedded one. */
export interface UpBroker {
  address: string;
  close(): Promise<void>;
}

/** Options of {@link startUpBroker}. */
export interface UpBrokerOptions {
  port: number;
  /** `--broker host:port`: use it instead of starting one. */
  external?: string;
  security: ClientSecurity;
  dataDir: string;
  logLevel: LogLevel;
  /** `--log-retention-check-interval-ms` (the broker's default when unset). */
  retentionCheckIntervalMs?: number;
  /** Receives each broker log line that passes {@link upBrokerLogFilter}. */
  log(line: string): void;
}

/** Matches the broker's retention deletion line (`lib/broker/log/retention.ts`). */
const RETENTION_LINE = /^\S+ INFO {2}\[[^\]]+\] retention: /;

/**
 * The level the broker logger runs at and which of its lines `sa up` shows: every line at
 * `level` or above, and at WARN (the default) or below also the INFO retention deletions.
 */
export function upBrokerLogFilter(
  level: LogLevel,
): { loggerLevel: LogLevel; accept(line: string, lineLevel: LogLevel): boolean } {
  const probe = new Logger("probe", level);
  const showRetention = probe.enabled("WARN") && !probe.enabled("INFO");
  return {
    loggerLevel: showRetention ? "INFO" : level,
    accept: (line, lineLevel) =>
      probe.enabled(lineLevel) || (showRetention && RETENTION_LINE.test(line)),
  };
}

/** Starts the embedded broker, or checks the external one. */
export async function startUpBroker(opts: UpBrokerOptions): Promise<UpBroker> {
  if (opts.external) {
    try {
      await checkBroker(opts.external, 3000, opts.security);
    } catch (err) {
      throw new CliError(`${(err as Error).message}; drop --broker to use the embedded broker`);
    }
    return { address: opts.external, close: () => Promise.resolve() };
  }
  const filter = upBrokerLogFilter(opts.logLevel);
  const sink: LogSink = (line, level) => {
    if (filter.accept(line, level)) opts.log(line);
  };
  const logger = new Logger("broker", filter.loggerLevel, sink);
  const { startBroker } = await import("../broker/mod.ts");
  try {
    // 0.5 s, not Kafka's 3 s: replicas starting together still join one generation, and the
    // first row still arrives in well under 3 s (docs/broker.md, "Initial rebalance delay").
    return await startBroker({
      port: opts.port,
      dataDir: opts.dataDir,
      logger,
      groupInitialRebalanceDelayMs: 500,
      ...(opts.retentionCheckIntervalMs !== undefined
        ? { logRetentionCheckIntervalMs: opts.retentionCheckIntervalMs }
        : {}),
    });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      throw new CliError(
        `port ${opts.port} is already in use (another sa up, or a Kafka broker?): stop it, ` +
          `or use --port 0 for a free port, or --broker ${
            opts.port === 19092 ? "localhost:19092" : `localhost:${opts.port}`
          } to use that broker`,
      );
    }
    throw err;
  }
}
