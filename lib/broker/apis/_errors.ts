/**
 * Maps what a storage or coordinator call threw to the error code a response carries.
 *
 * @module
 */
import { ErrorCode, type ErrorInfo, KafkaError } from "../../kafka/protocol/errors.ts";
import type { RequestContext } from "./_types.ts";

/**
 * The Kafka error for `err`: a {@link KafkaError}'s own code, anything else (a bug, a full
 * disk) UNKNOWN_SERVER_ERROR with one log line naming the client and what failed, so one bad
 * topic or partition does not cost the client its whole request or connection.
 */
export function errorInfo(err: unknown, ctx: RequestContext, what: string): ErrorInfo {
  if (err instanceof KafkaError) return err.info;
  ctx.broker.logger.error(
    `${ctx.clientAddress}: ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
  );
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

/** The message to report with {@link errorInfo}'s code (v1+ error_message fields). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
