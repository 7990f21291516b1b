/**
 * Which client the run loop consumes with: the project's own client (default), or kafkajs
 * (`SA_KAFKA_CLIENT=kafkajs`, the client of earlier versions, kept as a fallback).
 *
 * @module
 */

import type { Kafka } from "kafkajs";
import type { Logger } from "../../util/log.ts";
import type { Application, ConsumerTuning } from "../application.ts";
import type { InputConsumer } from "./_input.ts";
import { KafkajsInput } from "./_input_kafkajs.ts";
import { NativeInput } from "./_input_native.ts";
import { readEnv } from "./_kafka.ts";
import { Cluster } from "../../kafka/client/cluster.ts";
import { consumerCluster } from "../../kafka/client/_consumer_cluster.ts";

export interface InputSetup {
  kafka: Kafka;
  app: Application;
  tuning: ConsumerTuning;
  /** Exactly-once reads read_committed. */
  readCommitted: boolean;
  logger: Logger;
}

/** The client `SA_KAFKA_CLIENT` asks for: "kafkajs", else "native" (the default). */
export function kafkaClientChoice(): "native" | "kafkajs" {
  return readEnv("SA_KAFKA_CLIENT") === "kafkajs" ? "kafkajs" : "native";
}

/** The input consumer for this run. */
export function createInput(s: InputSetup): InputConsumer {
  if (kafkaClientChoice() === "native") {
    const t = s.tuning;
    const app = s.app;
    const cluster = new Cluster({
      bootstrap: app.brokerAddress,
      clientId: `sa-${app.consumerGroup}`,
      security: app.security,
      connectTimeoutMs: 3000,
    });
    const enc = new TextEncoder();
    return new NativeInput(consumerCluster(cluster), {
      groupId: app.consumerGroup,
      // Static membership (KIP-345): `sa up`/`sa run` give each replica a stable id, so a
      // restarted replica takes its partitions back at once.
      groupInstanceId: readEnv("SA_GROUP_INSTANCE_ID") ?? null,
      sessionTimeoutMs: t.sessionTimeout ?? 30_000,
      rebalanceTimeoutMs: t.rebalanceTimeout ?? 60_000,
      heartbeatIntervalMs: t.heartbeatInterval ?? 3000,
      maxWaitMs: t.maxWaitTimeInMs ?? 250,
      maxBytes: 32 * 1024 * 1024,
      partitionMaxBytes: t.maxBytesPerPartition ?? 1024 * 1024,
      readCommitted: true, // as kafkajs consumers do by default
      userData: () => {
        const url = app.observers.advertisedUrl;
        return url ? enc.encode(url) : enc.encode("");
      },
    });
  }
  return new KafkajsInput(
    s.kafka,
    s.app.consumerGroup,
    s.tuning,
    () => s.app.observers.advertisedUrl,
  );
}
