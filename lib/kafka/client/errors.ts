/**
 * The client's one error type, {@link KafkaClientError}: a Kafka error code (from a response,
 * or the code Kafka's own clients use for a local failure: NETWORK_EXCEPTION for a closed or
 * refused connection, REQUEST_TIMED_OUT for an unanswered request), its canonical name and
 * whether retrying the same request may succeed. Built on the broker's closed table in
 * `lib/kafka/protocol/errors.ts`, plus the codes only a real cluster answers with.
 *
 * @module
 */
import { ErrorCode, type ErrorInfo } from "../protocol/errors.ts";

/** Codes the embedded broker never sends but a real cluster may (apache/kafka Errors.java). */
const EXTRA: readonly ErrorInfo[] = [
  { code: 8, name: "BROKER_NOT_AVAILABLE", retriable: false },
  { code: 9, name: "REPLICA_NOT_AVAILABLE", retriable: true },
  { code: 13, name: "NETWORK_EXCEPTION", retriable: true },
  { code: 19, name: "NOT_ENOUGH_REPLICAS", retriable: true },
  { code: 20, name: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", retriable: true },
  { code: 31, name: "CLUSTER_AUTHORIZATION_FAILED", retriable: false },
  { code: 32, name: "INVALID_TIMESTAMP", retriable: false },
  { code: 39, name: "INVALID_REPLICA_ASSIGNMENT", retriable: false },
  { code: 53, name: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", retriable: false },
  { code: 72, name: "LISTENER_NOT_FOUND", retriable: true },
  { code: 73, name: "TOPIC_DELETION_DISABLED", retriable: false },
  { code: 75, name: "UNKNOWN_LEADER_EPOCH", retriable: true },
  { code: 78, name: "OFFSET_NOT_AVAILABLE", retriable: true },
  { code: 89, name: "THROTTLING_QUOTA_EXCEEDED", retriable: true },
  { code: 103, name: "INCONSISTENT_TOPIC_ID", retriable: true },
];

const byCode = new Map<number, ErrorInfo>();
for (const info of [...Object.values(ErrorCode), ...EXTRA]) {
  if (!byCode.has(info.code)) byCode.set(info.code, info);
}
// Kafka's code 74 is FENCED_LEADER_EPOCH (retriable); the broker's table names it otherwise.
byCode.set(74, { code: 74, name: "FENCED_LEADER_EPOCH", retriable: true });

/** The name and retriability of a wire error code; unknown codes are not retriable. */
export function errorInfo(code: number): ErrorInfo {
  return byCode.get(code) ?? { code, name: `UNKNOWN_ERROR_CODE_${code}`, retriable: false };
}

/** Codes after which a producer (or its transaction) can never be used again (KIP-360). */
const FATAL_FOR_PRODUCER = new Set([
  47, // INVALID_PRODUCER_EPOCH
  90, // PRODUCER_FENCED
  52, // TRANSACTION_COORDINATOR_FENCED
  53, // TRANSACTIONAL_ID_AUTHORIZATION_FAILED
  31, // CLUSTER_AUTHORIZATION_FAILED
]);

/**
 * A failure of a request or of the client: `code` is the Kafka error code, `name` its
 * canonical name (e.g. `NOT_LEADER_OR_FOLLOWER`), `retriable` whether the same request may
 * succeed later. `fatal` marks a producer that was fenced: it must be closed, never retried.
 *
 * @example
 * ```ts
 * import { KafkaClientError } from "./errors.ts";
 * const e = KafkaClientError.fromCode(6, "produce t[0]");
 * console.log(e.name, e.retriable); // NOT_LEADER_OR_FOLLOWER true
 * ```
 */
export class KafkaClientError extends Error {
  /** The Kafka error code. */
  readonly code: number;
  /** Whether the same request may succeed if tried again. */
  readonly retriable: boolean;
  /** The producer that got this error must stop: it was fenced by a newer instance. */
  readonly fatal: boolean;

  constructor(info: ErrorInfo, message: string, options?: { cause?: unknown; fatal?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = info.name;
    this.code = info.code;
    this.retriable = info.retriable && !options?.fatal;
    this.fatal = options?.fatal ?? false;
  }

  /** The error for a wire code, with what failed (`where`) and an optional broker message. */
  static fromCode(code: number, where: string, brokerMessage?: string | null): KafkaClientError {
    const info = errorInfo(code);
    const detail = brokerMessage ? `: ${brokerMessage}` : "";
    return new KafkaClientError(info, `${where}: ${info.name}${detail}`, {
      fatal: FATAL_FOR_PRODUCER.has(code),
    });
  }

  /** A lost, refused or closed connection (retriable: another attempt reconnects). */
  static network(where: string, cause?: unknown): KafkaClientError {
    const reason = cause instanceof Error ? `: ${cause.message}` : "";
    return new KafkaClientError(errorInfo(13), `${where}${reason}`, { cause });
  }

  /** A request that got no answer in time (retriable; its connection is closed). */
  static timeout(where: string, ms: number): KafkaClientError {
    return new KafkaClientError(errorInfo(7), `${where}: no response within ${ms} ms`);
  }
}

/** Throws {@link KafkaClientError} for a non-zero code. */
export function check(code: number, where: string, brokerMessage?: string | null): void {
  if (code !== 0) throw KafkaClientError.fromCode(code, where, brokerMessage);
}

/** True when `e` is a {@link KafkaClientError}, optionally with one of `names`. */
export function isKafkaError(e: unknown, ...names: string[]): e is KafkaClientError {
  return e instanceof KafkaClientError && (names.length === 0 || names.includes(e.name));
}
