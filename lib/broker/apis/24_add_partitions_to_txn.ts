/**
 * AddPartitionsToTxn (key 24), v0–1: adds partitions to the producer's open transaction (and
 * opens one). If any partition is unknown, none is added: the unknown ones get
 * UNKNOWN_TOPIC_OR_PARTITION and the others OPERATION_NOT_ATTEMPTED.
 *
 * @module
 */
import { Writer } from "../../kafka/protocol/codec.ts";
import type { ApiHandler } from "./_types.ts";
import { readTxnProducer } from "./_txn.ts";

/** The AddPartitionsToTxn handler. */
export const handler: ApiHandler = {
  key: 24,
  name: "AddPartitionsToTxn",
  minVersion: 0,
  maxVersion: 1,
  async handle(body, ctx) {
    const { transactionalId, producerId, epoch } = readTxnProducer(body);
    const topics = body.array((r) => ({
      topic: r.string(),
      partitions: r.array((r) => r.int32()),
    }));
    const results = await ctx.broker.txns.addPartitions(transactionalId, producerId, epoch, topics);
    let i = 0;
    const w = new Writer(64);
    w.int32(0); // throttle_time_ms
    w.array(topics, (w, t) => {
      w.string(t.topic);
      w.array(t.partitions, (w, p) => void w.int32(p).int16(results[i++].errorCode));
    });
    return w.finish();
  },
};
