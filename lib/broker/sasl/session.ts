/**
 * One connection's SASL state machine: handshake (mechanism chosen), then PLAIN (one token)
 * or SCRAM (client-first → server-first, client-final → server-final), then authenticated.
 * Until then the connection may only send ApiVersions, SaslHandshake and SaslAuthenticate.
 *
 * A v0 SaslHandshake switches the connection to Kafka's legacy framing: the next frames are
 * bare SASL tokens with no request header (kafka-python 2.0 speaks only this). Any failure
 * marks the session failed and asks the connection to close once the answer is written.
 *
 * @module
 */
import type { Logger } from "../../util/log.ts";
import {
  equalBytes,
  fromBase64,
  hash,
  hmac,
  isScramMechanism,
  scramAttributes,
  type ScramCredential,
  type ScramMechanism,
  scramNonce,
  toBase64,
  unescapeSaslName,
  xor,
} from "../../kafka/protocol/scram.ts";
import type { UserStore } from "./users.ts";

/** Mechanisms a SASL-enabled broker offers, in the order it lists them. */
export const SASL_MECHANISMS: readonly string[] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];

/** APIs a connection may use before it has authenticated. */
export const PRE_AUTH_APIS: ReadonlySet<number> = new Set([18, 17, 36]);

/** The outcome of one authentication step. */
export interface SaslStep {
  /** Token to send back (empty when the mechanism has nothing to say). */
  token: Uint8Array;
  /** Set when authentication failed: the message for the client (no secrets). */
  error?: string;
}

type State =
  | { kind: "start" }
  | { kind: "handshaken" }
  | {
    kind: "scram-final";
    user: string;
    cred: ScramCredential;
    nonce: string;
    gs2: string;
    clientFirstBare: string;
    serverFirst: string;
  }
  | { kind: "authenticated"; user: string }
  | { kind: "failed" };

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });
const EMPTY = new Uint8Array(0);

/** Per-connection SASL state. */
export class SaslSession {
  #state: State = { kind: "start" };
  #mechanism: string | null = null;
  /** True after a v0 handshake: frames are bare tokens until authenticated. */
  raw = false;
  /** Set when the connection must close after writing the pending responses. */
  closeAfterWrite = false;

  constructor(
    private readonly users: UserStore,
    private readonly clientAddress: string,
    private readonly logger: Logger,
    /** The server's nonce part (fixed in tests that replay RFC 7677's example). */
    private readonly nonce: () => string = scramNonce,
  ) {}

  /** Whether the client has authenticated. */
  get authenticated(): boolean {
    return this.#state.kind === "authenticated";
  }

  /** The authenticated user, for log lines. */
  get principal(): string | null {
    return this.#state.kind === "authenticated" ? this.#state.user : null;
  }

  /**
   * A SaslHandshake: 0 when the mechanism is served, else the Kafka error code (the
   * connection is then closed).
   */
  handshake(mechanism: string, version: number): number {
    if (this.#state.kind !== "start") {
      this.fail(mechanism, "SaslHandshake sent twice");
      return 34; // ILLEGAL_SASL_STATE
    }
    if (!SASL_MECHANISMS.includes(mechanism)) {
      this.fail(mechanism, "mechanism not enabled");
      return 33; // UNSUPPORTED_SASL_MECHANISM
    }
    this.#mechanism = mechanism;
    this.#state = { kind: "handshaken" };
    this.raw = version === 0;
    return 0;
  }

  /** Whether a SaslAuthenticate request is allowed now (after a v1 handshake). */
  get expectsAuthenticate(): boolean {
    return !this.raw && (this.#state.kind === "handshaken" || this.#state.kind === "scram-final");
  }

  /** Marks the session failed and logs once, naming the client and mechanism only. */
  fail(mechanism: string | null, reason: string): void {
    this.#state = { kind: "failed" };
    this.raw = false;
    this.closeAfterWrite = true;
    this.logger.warn(
      `authentication failed for client ${this.clientAddress} with SASL mechanism ` +
        `${mechanism ?? this.#mechanism ?? "(none)"}: ${reason}`,
    );
  }

  /** One SaslAuthenticate token (or one raw token after a v0 handshake). */
  async step(token: Uint8Array): Promise<SaslStep> {
    const m = this.#mechanism ?? "(none)";
    const generic = `Authentication failed during authentication due to invalid credentials ` +
      `with SASL mechanism ${m}`;
    try {
      const s = this.#state;
      if (s.kind === "handshaken" && m === "PLAIN") return await this.plain(token, generic);
      if (s.kind === "handshaken" && isScramMechanism(m)) return this.scramFirst(m, token);
      if (s.kind === "scram-final" && isScramMechanism(m)) {
        return await this.scramFinal(m, s, token, generic);
      }
      this.fail(m, `unexpected token in state ${s.kind}`);
      return { token: EMPTY, error: `SaslAuthenticate not expected now (${s.kind})` };
    } catch (err) {
      // Malformed tokens (bad UTF-8, bad base64): the client gets the generic message.
      this.fail(m, `malformed token (${err instanceof Error ? err.message : err})`);
      return { token: EMPTY, error: generic };
    }
  }

  /**
   * A bare token after a v0 handshake: the size-prefixed answer to write, or null when the
   * authentication failed (Kafka then just closes the connection).
   */
  async rawToken(token: Uint8Array): Promise<Uint8Array | null> {
    const res = await this.step(token);
    if (res.error !== undefined) return null;
    if (this.authenticated) this.raw = false;
    const out = new Uint8Array(4 + res.token.length);
    new DataView(out.buffer).setInt32(0, res.token.length);
    out.set(res.token, 4);
    return out;
  }

  private succeed(user: string, token: Uint8Array): SaslStep {
    this.#state = { kind: "authenticated", user };
    this.logger.info(
      `client ${this.clientAddress} authenticated as ${user} (${this.#mechanism})`,
    );
    return { token };
  }

  private async plain(token: Uint8Array, generic: string): Promise<SaslStep> {
    // RFC 4616: [authzid] NUL authcid NUL passwd
    const parts = dec.decode(token).split("\0");
    if (parts.length !== 3) {
      this.fail("PLAIN", "malformed PLAIN token");
      return { token: EMPTY, error: "Invalid SASL/PLAIN request: expected 3 tokens" };
    }
    const [authzid, user, password] = parts;
    if (authzid !== "" && authzid !== user) {
      this.fail("PLAIN", `authorization id differs from user ${JSON.stringify(user)}`);
      return {
        token: EMPTY,
        error: "Authentication failed: Client requested an authorization " +
          "id that is different from username",
      };
    }
    if (!(await this.users.verifyPassword(user, password))) {
      this.fail("PLAIN", `invalid credentials for user ${JSON.stringify(user)}`);
      return { token: EMPTY, error: generic };
    }
    return this.succeed(user, EMPTY);
  }

  private scramFirst(m: ScramMechanism, token: Uint8Array): SaslStep {
    const msg = dec.decode(token);
    // gs2-header: cbind-flag "," [authzid] "," ; channel binding ("p=") is not offered.
    const g = /^([ny]),(a=[^,]*)?,/.exec(msg);
    if (!g) {
      this.fail(m, "malformed client-first-message (or channel binding requested)");
      return { token: EMPTY, error: "Invalid SCRAM client-first-message" };
    }
    const gs2 = g[0];
    const clientFirstBare = msg.slice(gs2.length);
    const attrs = scramAttributes(clientFirstBare);
    const user = unescapeSaslName(attrs.get("n") ?? "");
    const cnonce = attrs.get("r");
    if (!user || !cnonce || clientFirstBare.includes(",m=")) {
      this.fail(m, "malformed client-first-message");
      return { token: EMPTY, error: "Invalid SCRAM client-first-message" };
    }
    const authzid = g[2] ? unescapeSaslName(g[2].slice(2)) : null;
    const cred = this.users.get(user)?.get(m);
    if (!cred || (authzid !== null && authzid !== user)) {
      this.fail(m, `unknown user ${JSON.stringify(user)} or no ${m} credential`);
      return { token: EMPTY, error: "Authentication failed: Invalid user credentials" };
    }
    const nonce = cnonce + this.nonce();
    const serverFirst = `r=${nonce},s=${toBase64(cred.salt)},i=${cred.iterations}`;
    this.#state = { kind: "scram-final", user, cred, nonce, gs2, clientFirstBare, serverFirst };
    return { token: enc.encode(serverFirst) };
  }

  private async scramFinal(
    m: ScramMechanism,
    s: Extract<State, { kind: "scram-final" }>,
    token: Uint8Array,
    generic: string,
  ): Promise<SaslStep> {
    const msg = dec.decode(token);
    const at = msg.lastIndexOf(",p=");
    const attrs = scramAttributes(msg);
    const proof = attrs.get("p");
    if (
      // endsWith, as Kafka checks: librdkafka sends its client nonce before the full nonce.
      at < 0 || !proof || !attrs.get("r")?.endsWith(s.nonce) ||
      attrs.get("c") !== toBase64(enc.encode(s.gs2))
    ) {
      this.fail(m, `client-final-message does not match the exchange (user ${s.user})`);
      return { token: EMPTY, error: "Invalid SCRAM client-final-message" };
    }
    const authMessage = `${s.clientFirstBare},${s.serverFirst},${msg.slice(0, at)}`;
    const signature = await hmac(m, s.cred.storedKey, authMessage);
    const clientKey = xor(fromBase64(proof), signature);
    if (
      clientKey.length !== signature.length ||
      !equalBytes(await hash(m, clientKey), s.cred.storedKey)
    ) {
      this.fail(m, `invalid credentials for user ${JSON.stringify(s.user)}`);
      return { token: EMPTY, error: generic };
    }
    const serverSignature = await hmac(m, s.cred.serverKey, authMessage);
    return this.succeed(s.user, enc.encode(`v=${toBase64(serverSignature)}`));
  }
}
