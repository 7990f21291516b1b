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
import { Reader, Writer } from "../kafka/protocol/codec.ts";
import { splitHostPort } from "./permissions.ts";
import { connectKafka, type ConnectSecurity } from "../util/kafka_connect.ts";

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

async function readFull(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const got = await conn.read(out.subarray(off));
    if (got === null) throw new Error("connection closed by the broker");
    off += got;
  }
  return out;
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
  let conn: Deno.Conn | undefined;
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
          conn = await connectKafka(address, security);
          if (done) conn.close();
        } catch (err) {
          const reason = err instanceof Deno.errors.ConnectionRefused
            ? "connection refused (nothing is listening there)"
            : err instanceof Deno.errors.UnexpectedEof || err instanceof Deno.errors.ConnectionReset
            ? `the connection was closed (${
              security?.tls
                ? "not a TLS listener, or it refused our certificate?"
                : "a TLS listener? set SA_SECURITY_PROTOCOL"
            })`
            : err instanceof Error
            ? err.message
            : String(err);
          throw new BrokerUnreachableError(address, reason);
        }
        const w = new Writer(128);
        w.int32(0).int16(apiKey).int16(version).int32(1).nullableString("sa");
        body(w);
        w.patchInt32(0, w.pos - 4);
        if (done) throw new Error("timed out");
        await conn.write(w.finish());
        const size = new DataView((await readFull(conn, 4)).buffer).getInt32(0);
        if (size < 4 || size > 1 << 24) {
          throw new BrokerUnreachableError(address, "the answer is not a Kafka response");
        }
        const r = new Reader(await readFull(conn, size));
        if (r.int32() !== 1) throw new BrokerUnreachableError(address, "bad correlation id");
        return r;
      })(),
      timeout,
    ]);
  } catch (err) {
    if (err instanceof BrokerUnreachableError) throw err;
    throw new BrokerUnreachableError(address, err instanceof Error ? err.message : String(err));
  } finally {
    done = true;
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // already closed
    }
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
