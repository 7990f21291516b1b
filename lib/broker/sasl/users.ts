/**
 * The broker's users file (`sa broker --users FILE`): SCRAM credentials per user, salted and
 * hashed, never a password. `sa broker users add` writes it. Format (JSON):
 *
 * ```json
 * { "users": { "alice": {
 *   "SCRAM-SHA-256": { "salt": "<base64>", "iterations": 4096,
 *                      "storedKey": "<base64>", "serverKey": "<base64>" },
 *   "SCRAM-SHA-512": { ... } } } }
 * ```
 *
 * PLAIN logins are checked against the SCRAM-SHA-256 (else SHA-512) credential by deriving
 * the stored key from the offered password, so PLAIN needs no plain-text password either.
 *
 * @module
 */
import {
  equalBytes,
  fromBase64,
  SCRAM_MECHANISMS,
  type ScramCredential,
  scramCredential,
  type ScramMechanism,
  toBase64,
} from "../../kafka/protocol/scram.ts";

/** Credentials of one user, by mechanism. */
export type UserCredentials = ReadonlyMap<ScramMechanism, ScramCredential>;

/** A users file that is not valid; the message names the file and the entry. */
export class UsersFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsersFileError";
  }
}

/** The users a SASL-enabled broker accepts. */
export class UserStore {
  readonly #users: Map<string, Map<ScramMechanism, ScramCredential>>;

  constructor(users: Map<string, Map<ScramMechanism, ScramCredential>> = new Map()) {
    this.#users = users;
  }

  /** The user names, sorted. */
  get names(): string[] {
    return [...this.#users.keys()].sort();
  }

  /** A user's credentials, or undefined for an unknown user. */
  get(name: string): UserCredentials | undefined {
    return this.#users.get(name);
  }

  /** Whether `password` is the user's (PLAIN): re-derives a stored SCRAM key and compares. */
  async verifyPassword(name: string, password: string): Promise<boolean> {
    const creds = this.#users.get(name);
    if (!creds) return false;
    for (const m of SCRAM_MECHANISMS) {
      const c = creds.get(m);
      if (!c) continue;
      const derived = await scramCredential(m, password, c.iterations, c.salt);
      return equalBytes(derived.storedKey, c.storedKey);
    }
    return false;
  }

  /** Adds or replaces a user with fresh SCRAM-SHA-256 and SHA-512 credentials. */
  async set(name: string, password: string, iterations?: number): Promise<void> {
    if (name === "" || name.includes("\0")) {
      throw new UsersFileError(`invalid user name ${JSON.stringify(name)}`);
    }
    const creds = new Map<ScramMechanism, ScramCredential>();
    for (const m of SCRAM_MECHANISMS) creds.set(m, await scramCredential(m, password, iterations));
    this.#users.set(name, creds);
  }

  /** Removes a user; false when there was none. */
  delete(name: string): boolean {
    return this.#users.delete(name);
  }

  /** The file text. */
  serialize(): string {
    const users: Record<string, Record<string, unknown>> = {};
    for (const name of this.names) {
      const out: Record<string, unknown> = {};
      for (const [m, c] of this.#users.get(name)!) {
        out[m] = {
          salt: toBase64(c.salt),
          iterations: c.iterations,
          storedKey: toBase64(c.storedKey),
          serverKey: toBase64(c.serverKey),
        };
      }
      users[name] = out;
    }
    return JSON.stringify({ users }, null, 2) + "\n";
  }

  /** Parses a users file; `path` only names it in errors. */
  static parse(text: string, path: string): UserStore {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new UsersFileError(`${path}: not valid JSON (${(err as Error).message})`);
    }
    const users = (doc as { users?: unknown } | null)?.users;
    if (typeof users !== "object" || users === null || Array.isArray(users)) {
      throw new UsersFileError(`${path}: expected {"users": {"<name>": {...}}}`);
    }
    const out = new Map<string, Map<ScramMechanism, ScramCredential>>();
    for (const [name, entry] of Object.entries(users as Record<string, unknown>)) {
      const where = `${path}: user ${JSON.stringify(name)}`;
      if (typeof entry !== "object" || entry === null) {
        throw new UsersFileError(`${where}: expected an object of SCRAM credentials`);
      }
      const creds = new Map<ScramMechanism, ScramCredential>();
      for (const [m, raw] of Object.entries(entry as Record<string, unknown>)) {
        if (!(SCRAM_MECHANISMS as readonly string[]).includes(m)) {
          throw new UsersFileError(
            `${where}: unknown mechanism ${JSON.stringify(m)} (expected ${
              SCRAM_MECHANISMS.join(" or ")
            }; passwords are never stored, use \`sa broker users add\`)`,
          );
        }
        creds.set(m as ScramMechanism, parseCredential(raw, `${where} ${m}`));
      }
      if (creds.size === 0) throw new UsersFileError(`${where}: no credentials`);
      out.set(name, creds);
    }
    return new UserStore(out);
  }

  /** Reads and parses a users file; a missing file is an error naming it. */
  static async load(path: string): Promise<UserStore> {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        throw new UsersFileError(
          `users file ${path} not found (create it with \`sa broker users add --users ${path} NAME\`)`,
        );
      }
      throw new UsersFileError(`cannot read users file ${path}: ${(err as Error).message}`);
    }
    return UserStore.parse(text, path);
  }
}

function parseCredential(raw: unknown, where: string): ScramCredential {
  const r = raw as Record<string, unknown> | null;
  if (typeof r !== "object" || r === null) throw new UsersFileError(`${where}: expected an object`);
  const iterations = r.iterations;
  if (typeof iterations !== "number" || !Number.isInteger(iterations) || iterations < 4096) {
    throw new UsersFileError(`${where}: iterations must be an integer >= 4096`);
  }
  const b64 = (k: string): Uint8Array => {
    const v = r[k];
    if (typeof v !== "string" || v === "") {
      throw new UsersFileError(`${where}: ${k} must be a base64 string`);
    }
    try {
      return fromBase64(v);
    } catch {
      throw new UsersFileError(`${where}: ${k} is not valid base64`);
    }
  };
  return {
    salt: b64("salt"),
    iterations,
    storedKey: b64("storedKey"),
    serverKey: b64("serverKey"),
  };
}
