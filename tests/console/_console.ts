/**
 * Test helpers: an embedded broker with known data and a console on a free port.
 *
 * Known data: topic "sensors" (2 partitions): partition 0 holds 5 JSON records with keys
 * k0..k4, header "src: phone", timestamps BASE + i*1000; partition 1 holds 1 text record
 * "hello" with key "k9" at BASE + 10_000. Topic "empty" (1 partition) holds nothing.
 *
 * @module
 */
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { type RunningConsole, startConsole, type StartOptions } from "../../lib/console/server.ts";
import { tempBroker } from "../apps/_helpers.ts";

/** Timestamp of the first known record. */
export const BASE = Date.UTC(2024, 4, 9, 12, 0, 0);

/** Writes the known data. */
export async function seed(address: string): Promise<void> {
  const kafka = kafkaFor(address);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: "sensors", numPartitions: 2 }, { topic: "empty", numPartitions: 1 }],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: "sensors",
    messages: [
      ...[0, 1, 2, 3, 4].map((i) => ({
        partition: 0,
        key: `k${i}`,
        value: JSON.stringify({ n: i, accel: { x: i * 1.5 } }),
        timestamp: String(BASE + i * 1000),
        headers: { src: "phone" },
      })),
      { partition: 1, key: "k9", value: "hello", timestamp: String(BASE + 10_000) },
    ],
  });
  await producer.disconnect();
}

/** A broker with the known data and a console; both stopped afterwards. */
export async function withConsole<T>(
  fn: (c: RunningConsole, address: string) => Promise<T>,
  opts: Partial<StartOptions> = {},
): Promise<T> {
  const broker = await tempBroker();
  try {
    await seed(broker.address);
    const c = await startConsole({ address: broker.address, port: 0, sampleMs: 200, ...opts });
    try {
      return await fn(c, broker.address);
    } finally {
      await c.close();
    }
  } finally {
    await broker.close();
  }
}

/** GET/POST JSON against the console; returns status and parsed body. */
export async function api(
  c: RunningConsole,
  path: string,
  init: RequestInit & { json?: unknown } = {},
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any }> {
  const headers = new Headers(init.headers);
  if (init.json !== undefined) headers.set("content-type", "application/json");
  if (c.token && !headers.has("authorization")) headers.set("authorization", `Bearer ${c.token}`);
  const res = await fetch(`http://127.0.0.1:${c.port}${path}`, {
    ...init,
    headers,
    body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the text.
  }
  return { status: res.status, body };
}
