/**
 * The ingestion step the phone sources share (HTTP, WebSocket, MQTT): check the message,
 * key it, drop a repeated (sessionId, messageId), produce the bytes unchanged and report the
 * outcome once the broker acknowledged.
 *
 * @module
 */

import { Dedupe } from "./_dedupe.ts";
import { MalformedMessage, parsePhoneMessage } from "./_phone_message.ts";
import type { SourceContext } from "./source.ts";

/** Counters of a phone source. */
export interface IngestStats {
  /** Messages produced and acknowledged. */
  accepted: number;
  /** Repeated (sessionId, messageId) pairs not produced again. */
  duplicates: number;
  /** Bodies or frames refused as malformed. */
  malformed: number;
}

/** What became of one message. */
export type IngestResult =
  | { ok: true; duplicate: boolean }
  | { ok: false; status: 499 | 503; error: string };

/** Validates, deduplicates and produces messages for one source. */
export class PhoneIngest {
  readonly #dedupe: Dedupe;

  constructor(
    readonly stats: IngestStats,
    dedupeWindowMs: number,
    dedupeMaxEntries: number,
  ) {
    this.#dedupe = new Dedupe(dedupeWindowMs, dedupeMaxEntries);
  }

  /** Ingests one message; `key` overrides the sessionId key. */
  async ingest(ctx: SourceContext, body: Uint8Array, key?: string): Promise<IngestResult> {
    let msg;
    try {
      msg = parsePhoneMessage(body);
    } catch (e) {
      if (!(e instanceof MalformedMessage)) throw e;
      this.stats.malformed++;
      return { ok: false, status: 499, error: e.message };
    }
    const produce = () =>
      this.#produce(() => ctx.produce({ key: key ?? msg.sessionId, value: body }));
    if (msg.sessionId === null || msg.messageId === null) return await produce();
    for (;;) {
      const claim = this.#dedupe.claim(`${msg.sessionId}\u0000${msg.messageId}`);
      if (claim.kind === "duplicate") {
        this.stats.duplicates++;
        return { ok: true, duplicate: true };
      }
      if (claim.kind === "inflight") {
        // A retry racing the first attempt: its outcome decides (a failure lets this one try).
        if (await claim.outcome) {
          this.stats.duplicates++;
          return { ok: true, duplicate: true };
        }
        continue;
      }
      const result = await produce();
      claim.done(result.ok);
      return result;
    }
  }

  async #produce(send: () => Promise<void>): Promise<IngestResult> {
    try {
      await send();
      this.stats.accepted++;
      return { ok: true, duplicate: false };
    } catch (e) {
      return {
        ok: false,
        status: 503,
        error: `the broker did not acknowledge the message: ${(e as Error).message}`,
      };
    }
  }
}
