/**
 * An in-process broker on port 0 with its own temp data dir, for the client conformance tests.
 * `restart()` closes it and starts a new one on the same data dir (new port).
 *
 * @module
 */
import { startBroker } from "../../../lib/broker/mod.ts";
import { Logger, type LogSink, parseLogLevel } from "../../../lib/util/log.ts";

/** A running in-process broker owned by one test. */
export interface TestBroker {
  /** "127.0.0.1:PORT" of the current instance. */
  readonly address: string;
  readonly port: number;
  readonly dataDir: string;
  /** Closes the broker and starts it again on the same data dir. */
  restart(): Promise<void>;
  /** Closes the broker and removes the data dir. */
  close(): Promise<void>;
}

/** Starts a broker with a fresh temp data dir (or `dataDir`). */
export async function testBroker(
  opts: {
    dataDir?: string;
    defaultPartitions?: number;
    /** Receives every broker log line (at INFO and above) instead of stderr. */
    sink?: LogSink;
    /** `group.initial.rebalance.delay.ms` (default 0). */
    groupInitialRebalanceDelayMs?: number;
  } = {},
): Promise<TestBroker> {
  const dataDir = opts.dataDir ?? await Deno.makeTempDir({ prefix: "sa-b4-" });
  const start = () =>
    startBroker({
      host: "127.0.0.1",
      port: 0,
      dataDir,
      // Quiet by default; SA_BROKER_LOG=INFO (or DEBUG) shows the broker's lines.
      logger: opts.sink
        ? new Logger("broker", "INFO", opts.sink)
        : new Logger("broker", parseLogLevel(Deno.env.get("SA_BROKER_LOG") ?? "WARN")),
      ...(opts.defaultPartitions ? { defaultPartitions: opts.defaultPartitions } : {}),
      groupInitialRebalanceDelayMs: opts.groupInitialRebalanceDelayMs,
    });
  let broker = await start();
  let open = true;
  return {
    get address() {
      return broker.address;
    },
    get port() {
      return broker.port;
    },
    dataDir,
    async restart() {
      await broker.close();
      broker = await start();
    },
    async close() {
      if (open) {
        open = false;
        await broker.close();
      }
      if (!opts.dataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
