/**
 * Minimal Kafka requests the runner needs before any app runs, without loading a client
 * library: a connectivity check that lists the advertised brokers (Metadata v8 with no
 * topics) and topic creation (CreateTopics v3) for the topics a pipeline declares, with the
 * toolkit client's encoders (`lib/kafka/client/apis/`).
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
import {
  decodeMetadataResponse,
  encodeMetadataRequest,
  METADATA,
} from "../kafka/client/apis/03_metadata.ts";
import {
  CREATE_TOPICS,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
} from "../kafka/client/apis/19_create_topics.ts";

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
  const r = await request(
    address,
    METADATA.key,
    METADATA.version,
    (w) => encodeMetadataRequest(w, [], false),
    timeoutMs,
    security,
  );
  const brokers = decodeMetadataResponse(r).brokers.map((b) => b.address);
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
    CREATE_TOPICS.key,
    CREATE_TOPICS.version,
    (w) => encodeCreateTopicsRequest(w, topics, timeoutMs, false),
    timeoutMs + 2000,
    security,
  );
  const out: CreateTopicResult = {};
  for (const { name, errorCode: code } of decodeCreateTopicsResponse(r)) {
    out[name] = code === 0 ? "created" : code === 36 ? "exists" : `error code ${code}`;
  }
  return out;
}
