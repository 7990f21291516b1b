/**
 * Starts an in-process broker on 127.0.0.1, port 0, with a fresh temp data dir, for tests.
 * Log lines are captured (not printed) so tests can assert on them.
 *
 * @module
 */
import { type BrokerOptions, type RunningBroker, startBroker } from "../../lib/broker/mod.ts";
import { Logger } from "../../lib/util/log.ts";

/** A broker owned by one test. */
export interface HarnessBroker {
  /** "127.0.0.1:PORT". */
  readonly address: string;
  readonly port: number;
  readonly dataDir: string;
  /** The running broker (its resolved config, for assertions). */
  readonly broker: RunningBroker;
  /** Every log line written so far. */
  readonly logs: string[];
  /** Stops the broker and removes its data dir (unless the caller gave one). */
  close(): Promise<void>;
}

/** Starts a broker; `opts` override the defaults (except `port`/`host`, unless given). */
export async function startTestBroker(
  opts: Partial<BrokerOptions> = {},
): Promise<HarnessBroker> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? await Deno.makeTempDir({ prefix: "sa-broker-test-" });
  const logs: string[] = [];
  const logger = opts.logger ?? new Logger("broker", "DEBUG", (line) => void logs.push(line));
  let broker: RunningBroker;
  try {
    broker = await startBroker({ host: "127.0.0.1", port: 0, ...opts, dataDir, logger });
  } catch (err) {
    if (ownDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    throw err;
  }
  return {
    address: broker.address,
    port: broker.port,
    dataDir,
    broker,
    logs,
    async close() {
      await broker.close();
      if (ownDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
