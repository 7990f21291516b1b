/**
 * Small kafkajs helpers shared by the in-process conformance tests.
 *
 * @module
 */
import { type ConsumerConfig, Kafka, logLevel } from "kafkajs";

/** A kafkajs client for `address` with quiet logs and short retries (tests want fast failures). */
export function kafkaClient(address: string, clientId = "sa-test", retries = 8): Kafka {
  return new Kafka({
    clientId,
    brokers: [address],
    // SA_KAFKAJS_LOG=ERROR|WARN|INFO|DEBUG shows kafkajs's own log lines.
    logLevel: logLevel[Deno.env.get("SA_KAFKAJS_LOG") as keyof typeof logLevel] ?? logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries, initialRetryTime: 50, maxRetryTime: 1000 },
  });
}

/** A topic/group name unique within this process. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Polls `check` every `stepMs` until it returns true; throws naming `what` on timeout. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  stepMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Decodes a kafkajs Buffer (or null) as UTF-8. */
export function text(b: Uint8Array | null | undefined): string | null {
  return b == null ? null : new TextDecoder().decode(b);
}

/** A received message reduced to what the tests compare. */
export interface Received {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
}

/**
 * An admin, a producer and a consumer (not yet connected) on one client for `address`;
 * disposing the result (`await using`) disconnects all three.
 */
export function kafkaClients(address: string, consumer: ConsumerConfig) {
  const kafka = kafkaClient(address);
  const clients = {
    admin: kafka.admin(),
    producer: kafka.producer(),
    consumer: kafka.consumer(consumer),
    async [Symbol.asyncDispose](): Promise<void> {
      await clients.consumer.disconnect();
      await clients.producer.disconnect();
      await clients.admin.disconnect();
    },
  };
  return clients;
}
