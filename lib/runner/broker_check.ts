/**
 * Minimal Kafka requests the runner needs before any app runs, without loading a client
 * library: a connectivity check that lists the advertised brokers (Metadata v1 with no
 * topics) and topic creation (CreateTopics v0) for the topics a pipeline declares.
 *
 * `sa run` uses the check to fail fast with advice instead of letting the client retry for a
 * minute, and to learn the broker addresses the sandbox must be allowed to reach.
 *
 * @module
 */
import type { Reader, Writer } from "../kafka/protocol/codec.ts";
import { splitHostPort } from "./permissions.ts";
import { type ConnectSecurity, KafkaConnection } from "../kafka/client/connection.ts";
import { isKafkaError } from "../kafka/client/errors.ts";

/** The outcome of {@link checkBroker}. */
export interface BrokerCheck {
  /** Advertised broker addresses (`host:port`), as clients will dial them. */
  brokers: string[];
}

/** The broker could not be reached or did not answer like a Kafka broker. */
export class BrokerUnreachableError extends Error {
  constructor(readonly address: string, reason: string) {
    super(`cannot reach the Kafka broker at ${address}: ${reason}`);
    this.name = "BrokerUnreachableError";
  }
}

/** Why a connection attempt failed, in words that suggest the fix. */
function reason(err: unknown, security?: ConnectSecurity): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Deno.errors.ConnectionRefused) {
    return "connection refused (nothing is listening there)";
  }
  if (
    cause instanceof Deno.errors.UnexpectedEof || cause instanceof Deno.errors.ConnectionReset ||
    (err instanceof Error && /closed by the broker/.test(err.message))
  ) {
    return `the connection was closed (${
      security?.tls
        ? "not a TLS listener, or it refused our certificate?"
        : "a TLS listener? set SA_SECURITY_PROTOCOL"
    })`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Sends one request on a fresh connection and returns a reader over the response body. */
async function request(
  address: string,
  apiKey: number,
  version: number,
  body: (w: Writer) => void,
  timeoutMs: number,
  security?: ConnectSecurity,
): Promise<Reader> {
  splitHostPort(address); // validates
  let conn: KafkaConnection | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let done = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new BrokerUnreachableError(address, `no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      (async () => {
        try {
          conn = await KafkaConnection.open(address, {
            clientId: "sa",
            security,
            connectTimeoutMs: timeoutMs + 1000,
          });
          if (done) conn.close();
          return await conn.request(apiKey, version, body, { timeoutMs: timeoutMs + 1000 });
        } catch (err) {
          if (isKafkaError(err, "REQUEST_TIMED_OUT")) {
            throw new BrokerUnreachableError(address, `no answer within ${timeoutMs} ms`);
          }
          throw new BrokerUnreachableError(address, reason(err, security));
        }
      })(),
      timeout,
    ]);
  } finally {
    done = true;
    clearTimeout(timer);
    conn?.close();
  }
}

/** Connects to `address` and lists the brokers it advertises, within `timeoutMs`. */
export async function checkBroker(
  address: string,
  timeoutMs = 3000,
  security?: ConnectSecurity,
): Promise<BrokerCheck> {
  const r = await request(address, 3, 1, (w) => w.int32(0), timeoutMs, security);
  const brokers: string[] = [];
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    r.int32();
    const h = r.string();
    const p = r.int32();
    r.nullableString();
    brokers.push(`${h.includes(":") ? `[${h}]` : h}:${p}`);
  }
  return { brokers };
}

/** A topic to create. */
export interface NewTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic configs, e.g. `retention.ms`. */
  configs?: Record<string, string>;
}

/** Per topic: "created", "exists", or the error name and code. */
export type CreateTopicResult = Record<string, "created" | "exists" | string>;

/** Creates topics (existing ones are left as they are) and reports what happened to each. */
export async function createTopics(
  address: string,
  topics: NewTopic[],
  timeoutMs = 10_000,
  security?: ConnectSecurity,
): Promise<CreateTopicResult> {
  if (topics.length === 0) return {};
  const r = await request(
    address,
    19,
    0,
    (w) => {
      w.int32(topics.length);
      for (const t of topics) {
        w.string(t.name).int32(t.partitions).int16(t.replicationFactor).int32(0);
        const configs = Object.entries(t.configs ?? {});
        w.int32(configs.length);
        for (const [k, v] of configs) w.string(k).nullableString(v);
      }
      w.int32(timeoutMs);
    },
    timeoutMs + 2000,
    security,
  );
  const out: CreateTopicResult = {};
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    const name = r.string();
    const code = r.int16();
    out[name] = code === 0 ? "created" : code === 36 ? "exists" : `error code ${code}`;
  }
  return out;
}
