/**
 * Opens an authenticated connection to a Kafka broker for the toolkit's own small clients
 * (the runner's broker check, the runtime's changelog fetch reader): TCP or TLS (a given CA,
 * or the system CAs; a client certificate for mutual TLS), then SASL PLAIN or SCRAM over
 * SaslHandshake v1 + SaslAuthenticate v0. Requests are encoded by hand: they are two.
 *
 * @module
 */
import { isScramMechanism, ScramClient } from "./scram.ts";

/** How to reach the broker (structurally the runtime's `ClientSecurity`). */
export interface ConnectSecurity {
  protocol: string;
  sasl?: { mechanism: string; username: string; password: string };
  tls?: { ca?: string; cert?: string; key?: string };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Splits `host:port` (IPv6 in brackets allowed). */
function hostPort(address: string): { hostname: string; port: number } {
  const i = address.lastIndexOf(":");
  return {
    hostname: address.slice(0, i).replace(/^\[|\]$/g, ""),
    port: Number(address.slice(i + 1)),
  };
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

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Sends one non-flexible request (header v1, client id "sa") and returns the response body. */
async function roundTrip(
  conn: Deno.Conn,
  apiKey: number,
  version: number,
  correlationId: number,
  body: Uint8Array,
): Promise<DataView> {
  const clientId = enc.encode("sa");
  const size = 2 + 2 + 4 + 2 + clientId.length + body.length;
  const frame = new Uint8Array(4 + size);
  const v = new DataView(frame.buffer);
  v.setInt32(0, size);
  v.setInt16(4, apiKey);
  v.setInt16(6, version);
  v.setInt32(8, correlationId);
  v.setInt16(12, clientId.length);
  frame.set(clientId, 14);
  frame.set(body, 14 + clientId.length);
  await writeAll(conn, frame);
  const n = new DataView((await readFull(conn, 4)).buffer).getInt32(0);
  const payload = await readFull(conn, n);
  const r = new DataView(payload.buffer);
  if (r.getInt32(0) !== correlationId) throw new Error("SASL: response out of order");
  return new DataView(payload.buffer, 4);
}

function kString(s: string): Uint8Array {
  const b = enc.encode(s);
  const out = new Uint8Array(2 + b.length);
  new DataView(out.buffer).setInt16(0, b.length);
  out.set(b, 2);
  return out;
}

function kBytes(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + b.length);
  new DataView(out.buffer).setInt32(0, b.length);
  out.set(b, 4);
  return out;
}

/** One SaslAuthenticate v0 exchange: the server's token, or an Error naming the reason. */
async function authenticate(conn: Deno.Conn, id: number, token: Uint8Array): Promise<string> {
  const r = await roundTrip(conn, 36, 0, id, kBytes(token));
  const error = r.getInt16(0);
  let at = 2;
  const msgLen = r.getInt16(at);
  at += 2;
  const message = msgLen >= 0
    ? dec.decode(new Uint8Array(r.buffer, r.byteOffset + at, msgLen))
    : null;
  at += Math.max(msgLen, 0);
  const len = r.getInt32(at);
  at += 4;
  if (error !== 0) {
    throw new Error(`SASL authentication failed (error ${error}): ${message ?? "no message"}`);
  }
  return dec.decode(new Uint8Array(r.buffer, r.byteOffset + at, Math.max(len, 0)));
}

/** Runs the SASL exchange on an open connection; throws with the broker's reason on failure. */
export async function saslLogin(
  conn: Deno.Conn,
  sasl: NonNullable<ConnectSecurity["sasl"]>,
): Promise<void> {
  const hs = await roundTrip(conn, 17, 1, 1, kString(sasl.mechanism));
  const err = hs.getInt16(0);
  if (err !== 0) {
    throw new Error(`SASL mechanism ${sasl.mechanism} refused by the broker (error ${err})`);
  }
  if (sasl.mechanism === "PLAIN") {
    await authenticate(conn, 2, enc.encode(`\0${sasl.username}\0${sasl.password}`));
    return;
  }
  if (!isScramMechanism(sasl.mechanism)) {
    throw new Error(`unsupported SASL mechanism ${sasl.mechanism}`);
  }
  const scram = new ScramClient(sasl.mechanism, sasl.username, sasl.password);
  const serverFirst = await authenticate(conn, 2, enc.encode(scram.first()));
  const serverFinal = await authenticate(conn, 3, enc.encode(await scram.final(serverFirst)));
  scram.verify(serverFinal);
}

/** Connects (TCP or TLS) and authenticates; the caller closes the connection. */
export async function connectKafka(
  address: string,
  security?: ConnectSecurity,
): Promise<Deno.Conn> {
  const { hostname, port } = hostPort(address);
  let conn: Deno.Conn;
  if (security?.tls) {
    const { ca, cert, key } = security.tls;
    conn = await Deno.connectTls({
      hostname,
      port,
      ...(ca ? { caCerts: [ca] } : {}),
      ...(cert && key ? { cert, key } : {}),
    });
    await (conn as Deno.TlsConn).handshake();
  } else {
    const tcp = await Deno.connect({ hostname, port });
    tcp.setNoDelay(true);
    conn = tcp;
  }
  if (security?.sasl) {
    try {
      await saslLogin(conn, security.sasl);
    } catch (err) {
      conn.close();
      throw err;
    }
  }
  return conn;
}
