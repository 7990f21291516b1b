/**
 * Topic lookup with auto-creation, shared by Metadata and Produce.
 *
 * @module
 */
import { ErrorCode, type ErrorInfo, KafkaError } from "../../kafka/protocol/errors.ts";
import type { TopicInfo } from "../log/manager.ts";
import type { BrokerState } from "../state.ts";

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Whether Kafka accepts `name` as a topic name. */
export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== "." && name !== "..";
}

/**
 * The topic, created with the default partition count when it is missing and `autoCreate`
 * allows it (and the broker has auto-creation on); otherwise the error to report.
 */
export function resolveTopic(
  broker: BrokerState,
  name: string,
  autoCreate: boolean,
  clientAddress: string,
): TopicInfo | ErrorInfo {
  const existing = broker.logs.getTopic(name);
  if (existing) return existing;
  if (!isValidTopicName(name)) return ErrorCode.INVALID_TOPIC_EXCEPTION;
  if (!autoCreate || !broker.config.autoCreateTopics) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  try {
    const info = broker.logs.createTopic(name, broker.config.defaultPartitions);
    broker.logger.debug(
      `auto-created topic ${name} with ${info.partitions} partition(s) for ${clientAddress}`,
    );
    return info;
  } catch (err) {
    if (err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS.code) {
      // Created meanwhile (the storage is shared): use it.
      return broker.logs.getTopic(name) ?? err.info;
    }
    if (err instanceof KafkaError) return err.info;
    broker.logger.error(
      `auto-creating topic ${name} for ${clientAddress} failed: ` +
        `${err instanceof Error ? err.message : String(err)}`,
    );
    return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

/** Narrows a {@link resolveTopic} result. */
export function isError(x: TopicInfo | ErrorInfo): x is ErrorInfo {
  return "retriable" in x;
}
