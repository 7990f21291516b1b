/**
 * InitProducerId: a producer id and epoch for an idempotent producer (any broker) or a
 * transactional one (its transaction coordinator), retrying retriable errors.
 *
 * @module
 */
import { KafkaClientError } from "./errors.ts";
import type { Cluster } from "./cluster.ts";
import { withRetry } from "./_retry.ts";
import {
  decodeInitProducerIdResponse,
  encodeInitProducerIdRequest,
  INIT_PRODUCER_ID,
} from "./apis/22_init_producer_id.ts";

/** Asks `nodeId` (on its "txn" connection) or any broker for a producer id and epoch. */
export async function initProducerId(
  cluster: Cluster,
  transactionalId: string | null,
  transactionTimeoutMs: number,
  nodeId?: number,
): Promise<{ producerId: number; producerEpoch: number }> {
  return await withRetry(async () => {
    const conn = nodeId === undefined
      ? await cluster.anyConnection()
      : await cluster.connection(nodeId, "txn");
    const v = conn.pickVersion(
      INIT_PRODUCER_ID.key,
      INIT_PRODUCER_ID.version,
      INIT_PRODUCER_ID.version,
      "InitProducerId",
    );
    const r = decodeInitProducerIdResponse(
      await conn.request(
        INIT_PRODUCER_ID.key,
        v,
        (w) => encodeInitProducerIdRequest(w, transactionalId, transactionTimeoutMs),
      ),
    );
    if (r.errorCode !== 0) {
      const who = transactionalId === null ? "" : ` for ${JSON.stringify(transactionalId)}`;
      throw KafkaClientError.fromCode(r.errorCode, `InitProducerId${who}`);
    }
    return r;
  }, { timeoutMs: cluster.retryTimeoutMs });
}
