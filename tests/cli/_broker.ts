/**
 * An in-process embedded broker for the inspection command tests.
 *
 * @module
 */
import { tempBroker } from "../apps/_helpers.ts";

/** Runs `fn` against a quiet broker on a free port with a temp data dir, removed afterwards. */
export async function withBroker<T>(fn: (address: string) => Promise<T>): Promise<T> {
  const broker = await tempBroker();
  try {
    return await fn(broker.address);
  } finally {
    await broker.close();
  }
}
