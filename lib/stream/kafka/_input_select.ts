/**
 * Which client the run loop consumes with: kafkajs (default) or the project's own client
 * (`SA_KAFKA_CLIENT=native`).
 *
 * @module
 */

import type { Kafka } from "kafkajs";
import type { Logger } from "../../util/log.ts";
import type { Application, ConsumerTuning } from "../application.ts";
import type { InputConsumer } from "./_input.ts";
import { KafkajsInput } from "./_input_kafkajs.ts";

export interface InputSetup {
  kafka: Kafka;
  app: Application;
  tuning: ConsumerTuning;
  /** Exactly-once reads read_committed. */
  readCommitted: boolean;
  logger: Logger;
}

/** The input consumer for this run. */
export function createInput(s: InputSetup): InputConsumer {
  return new KafkajsInput(
    s.kafka,
    s.app.consumerGroup,
    s.tuning,
    () => s.app.observers.advertisedUrl,
  );
}
