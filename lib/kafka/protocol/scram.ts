/**
 * SCRAM (RFC 5802, with the SHA-256/SHA-512 variants of RFC 7677) arithmetic on WebCrypto:
 * salted passwords, client/server keys, signatures and proofs. Shared by the broker (server
 * side), the `sa broker users add` helper that stores credentials, and the toolkit's Kafka
 * client (`lib/kafka/client/connection.ts`); neither imports the other, both import this.
 *
 * @module
 */

/** The SCRAM mechanisms served and spoken. */
export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";

/** Every SCRAM mechanism, in preference order. */
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ["SCRAM-SHA-256", "SCRAM-SHA-512"];

/** Kafka's minimum (and default) iteration count for SCRAM credentials. */
export const DEFAULT_ITERATIONS = 4096;

/** What a server stores for one user and mechanism: never the password itself. */
export interface ScramCredential {
  salt: Uint8Array;
  iterations: number;
  storedKey: Uint8Array;
  serverKey: Uint8Array;
}

const enc = new TextEncoder();

function hashOf(m: ScramMechanism): "SHA-256" | "SHA-512" {
  return m === "SCRAM-SHA-256" ? "SHA-256" : "SHA-512";
}

/** True for the two SCRAM mechanism names. */
export function isScramMechanism(m: string): m is ScramMechanism {
  return m === "SCRAM-SHA-256" || m === "SCRAM-SHA-512";
}

/** SaltedPassword := Hi(Normalize(password), salt, i), i.e. PBKDF2 with HMAC-H. */
export async function saltedPassword(
  m: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", enc.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = m === "SCRAM-SHA-256" ? 256 : 512;
  return new Uint8Array(
    await crypto.subtle.deriveBits(
      { name: "PBKDF2", hash: hashOf(m), salt: salt as BufferSource, iterations },
      key,
      bits,
    ),
  );
}

/** HMAC-H(key, data). */
export async function hmac(
  m: ScramMechanism,
  key: Uint8Array,
  data: Uint8Array | string,
): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey(
    "raw",
    key as BufferSource,
    { name: "HMAC", hash: hashOf(m) },
    false,
    ["sign"],
  );
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, bytes as BufferSource));
}

/** H(data). */
export async function hash(m: ScramMechanism, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest(hashOf(m), data as BufferSource));
}

/** a XOR b (equal lengths). */
export function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Compares in time independent of where the first difference is. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Derives the stored credential for `password` (a fresh random salt unless one is given). */
export async function scramCredential(
  m: ScramMechanism,
  password: string,
  iterations = DEFAULT_ITERATIONS,
  salt: Uint8Array = crypto.getRandomValues(new Uint8Array(32)),
): Promise<ScramCredential> {
  const salted = await saltedPassword(m, password, salt, iterations);
  const clientKey = await hmac(m, salted, "Client Key");
  return {
    salt,
    iterations,
    storedKey: await hash(m, clientKey),
    serverKey: await hmac(m, salted, "Server Key"),
  };
}

/** Standard base64 of bytes. */
export function toBase64(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

/** Bytes of standard base64; throws on invalid input. */
export function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A SCRAM `saslname`: `,` and `=` escaped as `=2C` and `=3D`. */
export function escapeSaslName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

/** The inverse of {@link escapeSaslName}; null when an `=` escape is invalid. */
export function unescapeSaslName(name: string): string | null {
  if (/=(?!2C|3D)/.test(name)) return null;
  return name.replaceAll("=2C", ",").replaceAll("=3D", "=");
}

/** Parses `k=v,k=v` SCRAM attributes (values may contain `=`). */
export function scramAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    const i = part.indexOf("=");
    if (i !== 1) continue;
    out.set(part[0], part.slice(2));
  }
  return out;
}

/** A printable random nonce (no `,`). */
export function scramNonce(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(24))).replaceAll("=", "");
}

/**
 * The client side of one SCRAM exchange: `first()`, then `final(serverFirst)`, then
 * `verify(serverFinal)`. Used by the toolkit's Kafka client.
 */
export class ScramClient {
  readonly #nonce: string;
  #clientFirstBare = "";
  #serverSignature: Uint8Array | null = null;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly username: string,
    private readonly password: string,
    /** The client nonce (fixed in tests that replay RFC 7677's example). */
    nonce: string = scramNonce(),
  ) {
    this.#nonce = nonce;
  }

  /** client-first-message. */
  first(): string {
    this.#clientFirstBare = `n=${escapeSaslName(this.username)},r=${this.#nonce}`;
    return `n,,${this.#clientFirstBare}`;
  }

  /** client-final-message for the server-first-message. */
  async final(serverFirst: string): Promise<string> {
    const a = scramAttributes(serverFirst);
    const nonce = a.get("r"), salt = a.get("s"), iterations = Number(a.get("i"));
    if (!nonce?.startsWith(this.#nonce) || !salt || !(iterations > 0)) {
      throw new Error(`invalid SCRAM server-first-message`);
    }
    const m = this.mechanism;
    const salted = await saltedPassword(m, this.password, fromBase64(salt), iterations);
    const clientKey = await hmac(m, salted, "Client Key");
    const withoutProof = `c=biws,r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = await hmac(m, await hash(m, clientKey), authMessage);
    this.#serverSignature = await hmac(m, await hmac(m, salted, "Server Key"), authMessage);
    return `${withoutProof},p=${toBase64(xor(clientKey, signature))}`;
  }

  /** Checks the server-final-message proves the server knew the credential. */
  verify(serverFinal: string): void {
    const a = scramAttributes(serverFinal);
    if (a.has("e")) throw new Error(`SCRAM authentication failed: ${a.get("e")}`);
    const v = a.get("v");
    if (!v || !this.#serverSignature || !equalBytes(fromBase64(v), this.#serverSignature)) {
      throw new Error("SCRAM server signature does not match");
    }
  }
}
