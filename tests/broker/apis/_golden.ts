/**
 * Golden-test plumbing: one broker per test, a raw client, and an exact byte comparison that
 * prints both sides as hex when they differ.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type HarnessBroker, startTestBroker } from "../_harness.ts";
import type { BrokerOptions } from "../../../lib/broker/mod.ts";
import { arr, bytes, i16, i32, request, str, WireClient } from "./_wire.ts";

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

/** Produces `batch` with a v7 request (acks 1) and asserts it succeeded; returns its base offset. */
export async function setupProduce(
  c: WireClient,
  topic: string,
  partition: number,
  batch: Uint8Array,
): Promise<number> {
  const body = [
    ...str(null),
    ...i16(1),
    ...i32(1000),
    ...arr([[...str(topic), ...arr([[...i32(partition), ...bytes(batch)]])]]),
  ];
  const res = await c.roundTrip(request(0, 7, 999, body));
  const view = new DataView(res.buffer, res.byteOffset);
  // corr(4) count(4) name(2+n) count(4) index(4) error(2) base(8)
  const at = 4 + 4 + 2 + new TextEncoder().encode(topic).length + 4 + 4;
  assert.equal(view.getInt16(at), 0, `setup produce to ${topic}-${partition} failed`);
  return Number(view.getBigInt64(at + 2));
}

/** The batch as the log stores it: base offset rewritten, leader epoch 0. */
export function stored(batch: Uint8Array, baseOffset: number): number[] {
  const out = batch.slice();
  const v = new DataView(out.buffer);
  v.setBigInt64(0, BigInt(baseOffset));
  v.setInt32(12, 0);
  return [...out];
}
