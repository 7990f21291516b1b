/**
 * An in-process embedded broker for the inspection command tests.
 *
 * @module
 */
import { startBroker } from "../../lib/broker/mod.ts";
import { Logger } from "../../lib/util/log.ts";

/** Starts a quiet broker on a free port with a temp data dir; `close` removes it. */
export async function withBroker<T>(fn: (address: string) => Promise<T>): Promise<T> {
  const dataDir = await Deno.makeTempDir({ prefix: "sa_t_broker_" });
  const broker = await startBroker({
    host: "127.0.0.1",
    port: 0,
    dataDir,
    logger: new Logger("broker", "ERROR"),
  });
  try {
    return await fn(broker.address);
  } finally {
    await broker.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}
