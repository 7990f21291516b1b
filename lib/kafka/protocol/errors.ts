/**
 * Kafka protocol error codes the broker can return, as a closed set.
 *
 * Codes and retriable flags follow apache/kafka `Errors.java`. Only the codes this
 * broker actually produces are listed; adding one is a deliberate act.
 *
 * @module
 */

/** One Kafka error: its wire code, its canonical name and whether a client may retry. */
export interface ErrorInfo {
  readonly code: number;
  readonly name: string;
  readonly retriable: boolean;
}

function e(code: number, name: string, retriable: boolean): ErrorInfo {
  return Object.freeze({ code, name, retriable });
}

/** The error codes the broker uses, keyed by Kafka's constant name. */
export const ErrorCode = Object.freeze({
  UNKNOWN_SERVER_ERROR: e(-1, "UNKNOWN_SERVER_ERROR", false),
  NONE: e(0, "NONE", false),
  OFFSET_OUT_OF_RANGE: e(1, "OFFSET_OUT_OF_RANGE", false),
  CORRUPT_MESSAGE: e(2, "CORRUPT_MESSAGE", true),
  UNKNOWN_TOPIC_OR_PARTITION: e(3, "UNKNOWN_TOPIC_OR_PARTITION", true),
  INVALID_FETCH_SIZE: e(4, "INVALID_FETCH_SIZE", false),
  LEADER_NOT_AVAILABLE: e(5, "LEADER_NOT_AVAILABLE", true),
  NOT_LEADER_OR_FOLLOWER: e(6, "NOT_LEADER_OR_FOLLOWER", true),
  REQUEST_TIMED_OUT: e(7, "REQUEST_TIMED_OUT", true),
  MESSAGE_TOO_LARGE: e(10, "MESSAGE_TOO_LARGE", false),
  OFFSET_METADATA_TOO_LARGE: e(12, "OFFSET_METADATA_TOO_LARGE", false),
  COORDINATOR_LOAD_IN_PROGRESS: e(14, "COORDINATOR_LOAD_IN_PROGRESS", true),
  COORDINATOR_NOT_AVAILABLE: e(15, "COORDINATOR_NOT_AVAILABLE", true),
  NOT_COORDINATOR: e(16, "NOT_COORDINATOR", true),
  INVALID_TOPIC_EXCEPTION: e(17, "INVALID_TOPIC_EXCEPTION", false),
  RECORD_LIST_TOO_LARGE: e(18, "RECORD_LIST_TOO_LARGE", false),
  INVALID_REQUIRED_ACKS: e(21, "INVALID_REQUIRED_ACKS", false),
  ILLEGAL_GENERATION: e(22, "ILLEGAL_GENERATION", false),
  INCONSISTENT_GROUP_PROTOCOL: e(23, "INCONSISTENT_GROUP_PROTOCOL", false),
  INVALID_GROUP_ID: e(24, "INVALID_GROUP_ID", false),
  UNKNOWN_MEMBER_ID: e(25, "UNKNOWN_MEMBER_ID", false),
  INVALID_SESSION_TIMEOUT: e(26, "INVALID_SESSION_TIMEOUT", false),
  REBALANCE_IN_PROGRESS: e(27, "REBALANCE_IN_PROGRESS", false),
  INVALID_COMMIT_OFFSET_SIZE: e(28, "INVALID_COMMIT_OFFSET_SIZE", false),
  TOPIC_AUTHORIZATION_FAILED: e(29, "TOPIC_AUTHORIZATION_FAILED", false),
  GROUP_AUTHORIZATION_FAILED: e(30, "GROUP_AUTHORIZATION_FAILED", false),
  UNSUPPORTED_SASL_MECHANISM: e(33, "UNSUPPORTED_SASL_MECHANISM", false),
  ILLEGAL_SASL_STATE: e(34, "ILLEGAL_SASL_STATE", false),
  UNSUPPORTED_VERSION: e(35, "UNSUPPORTED_VERSION", false),
  TOPIC_ALREADY_EXISTS: e(36, "TOPIC_ALREADY_EXISTS", false),
  INVALID_PARTITIONS: e(37, "INVALID_PARTITIONS", false),
  INVALID_REPLICATION_FACTOR: e(38, "INVALID_REPLICATION_FACTOR", false),
  INVALID_REQUEST: e(42, "INVALID_REQUEST", false),
  INVALID_CONFIG: e(40, "INVALID_CONFIG", false),
  NOT_CONTROLLER: e(41, "NOT_CONTROLLER", true),
  UNSUPPORTED_FOR_MESSAGE_FORMAT: e(43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false),
  POLICY_VIOLATION: e(44, "POLICY_VIOLATION", false),
  OUT_OF_ORDER_SEQUENCE_NUMBER: e(45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false),
  DUPLICATE_SEQUENCE_NUMBER: e(46, "DUPLICATE_SEQUENCE_NUMBER", false),
  INVALID_PRODUCER_EPOCH: e(47, "INVALID_PRODUCER_EPOCH", false),
  INVALID_TXN_STATE: e(48, "INVALID_TXN_STATE", false),
  INVALID_PRODUCER_ID_MAPPING: e(49, "INVALID_PRODUCER_ID_MAPPING", false),
  INVALID_TRANSACTION_TIMEOUT: e(50, "INVALID_TRANSACTION_TIMEOUT", false),
  CONCURRENT_TRANSACTIONS: e(51, "CONCURRENT_TRANSACTIONS", true),
  TRANSACTION_COORDINATOR_FENCED: e(52, "TRANSACTION_COORDINATOR_FENCED", false),
  SECURITY_DISABLED: e(54, "SECURITY_DISABLED", false),
  OPERATION_NOT_ATTEMPTED: e(55, "OPERATION_NOT_ATTEMPTED", false),
  KAFKA_STORAGE_ERROR: e(56, "KAFKA_STORAGE_ERROR", true),
  SASL_AUTHENTICATION_FAILED: e(58, "SASL_AUTHENTICATION_FAILED", false),
  UNKNOWN_PRODUCER_ID: e(59, "UNKNOWN_PRODUCER_ID", false),
  NON_EMPTY_GROUP: e(68, "NON_EMPTY_GROUP", false),
  GROUP_ID_NOT_FOUND: e(69, "GROUP_ID_NOT_FOUND", false),
  FETCH_SESSION_ID_NOT_FOUND: e(70, "FETCH_SESSION_ID_NOT_FOUND", true),
  INVALID_FETCH_SESSION_EPOCH: e(71, "INVALID_FETCH_SESSION_EPOCH", true),
  FENCED_LEADER_EPOCH: e(74, "FENCED_LEADER_EPOCH", true),
  UNKNOWN_LEADER_EPOCH: e(75, "UNKNOWN_LEADER_EPOCH", true),
  UNSUPPORTED_COMPRESSION_TYPE: e(76, "UNSUPPORTED_COMPRESSION_TYPE", false),
  MEMBER_ID_REQUIRED: e(79, "MEMBER_ID_REQUIRED", false),
  GROUP_MAX_SIZE_REACHED: e(81, "GROUP_MAX_SIZE_REACHED", false),
  FENCED_INSTANCE_ID: e(82, "FENCED_INSTANCE_ID", false),
  GROUP_SUBSCRIBED_TO_TOPIC: e(86, "GROUP_SUBSCRIBED_TO_TOPIC", false),
  INVALID_RECORD: e(87, "INVALID_RECORD", false),
  UNSTABLE_OFFSET_COMMIT: e(88, "UNSTABLE_OFFSET_COMMIT", true),
  PRODUCER_FENCED: e(90, "PRODUCER_FENCED", false),
  UNKNOWN_TOPIC_ID: e(100, "UNKNOWN_TOPIC_ID", false),
});

/** Name of one error in {@link ErrorCode}. */
export type ErrorName = keyof typeof ErrorCode;

/**
 * An error that maps to a Kafka error code in a response. Handlers throw it; the API layer
 * turns it into the per-partition or per-request error code.
 */
export class KafkaError extends Error {
  readonly info: ErrorInfo;
  constructor(info: ErrorInfo, message?: string) {
    super(message ? `${info.name}: ${message}` : info.name);
    this.name = "KafkaError";
    this.info = info;
  }
  /** The wire code. */
  get code(): number {
    return this.info.code;
  }
  /** Whether a client may retry the request that failed with this error. */
  get retriable(): boolean {
    return this.info.retriable;
  }
}

/**
 * A request that cannot be answered at all (malformed frame, unknown API): the connection
 * is closed, as Kafka does.
 */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}
