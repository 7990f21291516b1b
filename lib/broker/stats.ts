/**
 * Broker-wide traffic counters, kept by the connection layer and the Produce and Fetch
 * handlers, and exposed by `/metrics` (see metrics.ts). Plain numbers: no locking is needed
 * in one isolate.
 *
 * @module
 */
import { Attr, BATCH_HEADER_SIZE, LOG_OVERHEAD, Off } from "../kafka/protocol/record_batch.ts";

/** Counters since the broker started. */
export class BrokerStats {
  /** Record-batch bytes appended by Produce. */
  bytesIn = 0;
  /** Records appended by Produce. */
  messagesIn = 0;
  /** Record-batch bytes served by Fetch. */
  bytesOut = 0;
  /** Data records in the batches served by Fetch (control records excluded). */
  messagesOut = 0;
  /** Connections accepted. */
  connectionsTotal = 0;
  /** Connections open now. */
  connectionsOpen = 0;

  /** Counts the data records of the batches in `bytes` (whole batches, back to back). */
  countServed(bytes: Uint8Array): void {
    this.bytesOut += bytes.length;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + BATCH_HEADER_SIZE <= bytes.length) {
      const len = view.getInt32(at + Off.batchLength);
      const attributes = view.getInt16(at + Off.attributes);
      if ((attributes & Attr.control) === 0) {
        this.messagesOut += view.getInt32(at + Off.recordCount);
      }
      at += LOG_OVERHEAD + len;
    }
  }
}
