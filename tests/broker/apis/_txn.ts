/**
 * Helpers for the transaction golden tests: InitProducerId and a transactional produce.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildBatch } from "../../../lib/kafka/protocol/record_batch.ts";
import { arr, bytes, i16, i32, request, str, type WireClient } from "./_wire.ts";

/** InitProducerId for `txnId`; returns the producer id and epoch. */
export async function initTxn(
  c: WireClient,
  txnId: string,
): Promise<{ pid: number; epoch: number }> {
  const res = await c.roundTrip(request(22, 1, 990, [...str(txnId), ...i32(60_000)]));
  const view = new DataView(res.buffer, res.byteOffset, res.byteLength);
  assert.equal(view.getInt16(8), 0, "InitProducerId succeeded");
  return { pid: Number(view.getBigInt64(10)), epoch: view.getInt16(18) };
}

/** Sends one transactional record to `topic`/0 and returns the partition's error code. */
export async function produceTxn(
  c: WireClient,
  txnId: string,
  pid: number,
  epoch: number,
  topic: string,
  sequence = 0,
): Promise<number> {
  const batch = buildBatch([{ key: "k", value: "v" }], {
    baseTimestamp: 1_700_000_000_000,
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: sequence,
    transactional: true,
  });
  const res = await c.roundTrip(
    request(0, 3, 991, [
      ...str(txnId),
      ...i16(-1),
      ...i32(5000),
      ...arr([[...str(topic), ...arr([[...i32(0), ...bytes(batch)]])]]),
    ]),
  );
  const view = new DataView(res.buffer, res.byteOffset, res.byteLength);
  // correlation, topics count, name, partitions count, index, then the error code
  return view.getInt16(4 + 4 + 2 + new TextEncoder().encode(topic).length + 4 + 4);
}
