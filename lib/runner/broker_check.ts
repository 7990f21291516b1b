/**
 * Up-front broker connectivity check: connect with a short timeout and ask for the cluster's
 * brokers (a Metadata v1 request with no topics). `sa run` uses it to fail fast with advice
 * instead of letting the client retry for a minute, and to learn the advertised broker
 * addresses the sandbox must be allowed to reach.
 *
 * @module
 */
import { Reader, Writer } from "../broker/protocol/codec.ts";
import { splitHostPort } from "./permissions.ts";

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

/** Connects to `address` and lists the brokers it advertises, within `timeoutMs`. */
export async function checkBroker(address: string, timeoutMs = 3000): Promise<BrokerCheck> {
  const { host, port } = splitHostPort(address);
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
          conn = await Deno.connect({ hostname: host, port });
          if (done) conn.close();
        } catch (err) {
          const reason = err instanceof Deno.errors.ConnectionRefused
            ? "connection refused (nothing is listening there)"
            : err instanceof Error
            ? err.message
            : String(err);
          throw new BrokerUnreachableError(address, reason);
        }
        const w = new Writer(64);
        w.int32(0).int16(3).int16(1).int32(1).nullableString("sa-check").int32(0);
        w.patchInt32(0, w.pos - 4);
        if (done) throw new Error("timed out");
        await conn.write(w.finish());
        const size = new DataView((await readFull(conn, 4)).buffer).getInt32(0);
        if (size < 8 || size > 1 << 24) {
          throw new BrokerUnreachableError(address, "the answer is not a Kafka response");
        }
        const r = new Reader(await readFull(conn, size));
        if (r.int32() !== 1) throw new BrokerUnreachableError(address, "bad correlation id");
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
