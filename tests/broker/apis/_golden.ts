/**
 * Golden-test plumbing: one broker per test, a raw client, and an exact byte comparison that
 * prints both sides as hex when they differ.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type HarnessBroker, startTestBroker } from "../_harness.ts";
import type { BrokerOptions } from "../../../lib/broker/mod.ts";
import { i32, WireClient } from "./_wire.ts";

/** Runs `fn` against a fresh broker and raw connection, cleaning both up. */
export async function withBroker(
  fn: (c: WireClient, b: HarnessBroker) => Promise<void>,
  opts: Partial<BrokerOptions> = {},
): Promise<void> {
  const broker = await startTestBroker(opts);
  const client = await WireClient.connect(broker.port);
  try {
    await fn(client, broker);
  } finally {
    client.close();
    await broker.close();
  }
}

function hex(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** Asserts the response payload is exactly `correlationId` + `headerExtra` + `body`. */
export function assertResponse(
  actual: Uint8Array,
  correlationId: number,
  body: number[],
  headerExtra: number[] = [],
): void {
  const expected = [...i32(correlationId), ...headerExtra, ...body];
  assert.equal(hex(actual), hex(expected));
}
