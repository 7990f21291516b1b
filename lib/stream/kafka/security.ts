/**
 * How the runtime and the CLI reach a secured cluster: the security protocol (librdkafka's
 * names), SASL credentials and TLS files, from options or the environment, checked once and
 * turned into kafkajs settings. Secrets never appear in {@link describeSecurity}.
 *
 * @module
 */
import type { KafkaConfig, SASLOptions } from "kafkajs";

/**
 * librdkafka's `security.protocol` values (Quix's `ConnectionConfig.security_protocol`).
 *
 * @example
 * ```ts
 * import { Application, type SecurityProtocol } from "@sa/toolkit";
 * const securityProtocol: SecurityProtocol = "SASL_SSL";
 * const app = new Application({
 *   securityProtocol,
 *   sasl: { mechanism: "SCRAM-SHA-256", username: "alice", password: "s3cret" },
 * });
 * ```
 */
export type SecurityProtocol = "PLAINTEXT" | "SSL" | "SASL_PLAINTEXT" | "SASL_SSL";

/**
 * SASL mechanisms the client speaks.
 *
 * @example
 * ```ts
 * import type { SaslMechanism } from "@sa/toolkit";
 * const mechanism: SaslMechanism = "SCRAM-SHA-512";
 * console.log(mechanism);
 * ```
 */
export type SaslMechanism = "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";

/**
 * SASL credentials (Confluent Cloud: PLAIN with the API key and secret; Redpanda Serverless:
 * SCRAM-SHA-256).
 *
 * @example
 * ```ts
 * import { Application, type SaslCredentials } from "@sa/toolkit";
 * const sasl: SaslCredentials = {
 *   mechanism: "PLAIN",
 *   username: Deno.env.get("SA_SASL_USERNAME") ?? "",
 *   password: Deno.env.get("SA_SASL_PASSWORD") ?? "",
 * };
 * const app = new Application({ brokerAddress: "pkc-xxxx.confluent.cloud:9092", sasl });
 * ```
 */
export interface SaslCredentials {
  /** PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512. */
  mechanism: SaslMechanism;
  /** The SASL user (Confluent Cloud: the API key). */
  username: string;
  /** The password (Confluent Cloud: the API secret). Never logged. */
  password: string;
}

/**
 * TLS files (PEM paths); none set means the system CAs and no client certificate.
 *
 * @example Mutual TLS with a private CA
 * ```ts
 * import { Application, type SslFiles } from "@sa/toolkit";
 * const ssl: SslFiles = {
 *   caLocation: "certs/ca.crt",
 *   certLocation: "certs/client.crt",
 *   keyLocation: "certs/client.key",
 * };
 * const app = new Application({ securityProtocol: "SSL", ssl });
 * ```
 */
export interface SslFiles {
  /** CA bundle the broker's certificate must chain to (default: the system CAs). */
  caLocation?: string;
  /** Client certificate for mutual TLS. */
  certLocation?: string;
  /** Client private key for mutual TLS. */
  keyLocation?: string;
}

/** Connection security as given in options (each field falls back to the environment). */
export interface SecurityOptions {
  /** Default `SA_SECURITY_PROTOCOL`, else SASL_SSL when SASL is set, SSL when a TLS file is. */
  securityProtocol?: SecurityProtocol;
  /** Default from `SA_SASL_MECHANISM`, `SA_SASL_USERNAME`, `SA_SASL_PASSWORD`. */
  sasl?: SaslCredentials;
  /** Default from `SA_SSL_CA_LOCATION`, `SA_SSL_CERT_LOCATION`, `SA_SSL_KEY_LOCATION`. */
  ssl?: SslFiles;
}

/** The resolved security: what to dial with. */
export interface ClientSecurity {
  protocol: SecurityProtocol;
  sasl?: SaslCredentials;
  /** Present for SSL and SASL_SSL: PEM contents (undefined: system CAs / no client cert). */
  tls?: { ca?: string; cert?: string; key?: string };
}

/** The environment variables read, by setting. */
export const SECURITY_ENV = {
  protocol: "SA_SECURITY_PROTOCOL",
  mechanism: "SA_SASL_MECHANISM",
  username: "SA_SASL_USERNAME",
  password: "SA_SASL_PASSWORD",
  ca: "SA_SSL_CA_LOCATION",
  cert: "SA_SSL_CERT_LOCATION",
  key: "SA_SSL_KEY_LOCATION",
} as const;

/** Names whose values are secret: never printed, only written to `.env`. */
export const SECRET_ENV_NAMES: readonly string[] = [SECURITY_ENV.password];

const PROTOCOLS: readonly string[] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];
const MECHANISMS: readonly string[] = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];
/** The `SA_SECURITY_PROTOCOL` values (case-insensitive), for checks before a connection. */
export const SECURITY_PROTOCOLS: readonly string[] = PROTOCOLS;
/** The `SA_SASL_MECHANISM` values (case-insensitive). */
export const SASL_MECHANISMS: readonly string[] = MECHANISMS;

/** A security setting that cannot work; the message names the setting. */
export class SecurityConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecurityConfigError";
  }
}

/**
 * Resolves options over the environment (`lookup` reads one variable) and reads the TLS
 * files. Throws a {@link SecurityConfigError} naming the setting when something is missing or
 * invalid.
 */
export function resolveSecurity(
  options: SecurityOptions,
  lookup: (name: string) => string | undefined,
  readFile: (path: string) => string = Deno.readTextFileSync,
): ClientSecurity {
  const env = (k: keyof typeof SECURITY_ENV) => lookup(SECURITY_ENV[k]) || undefined;
  const mechanism = options.sasl?.mechanism ?? env("mechanism");
  const username = options.sasl?.username ?? env("username");
  const password = options.sasl?.password ?? env("password");
  const files: SslFiles = {
    caLocation: options.ssl?.caLocation ?? env("ca"),
    certLocation: options.ssl?.certLocation ?? env("cert"),
    keyLocation: options.ssl?.keyLocation ?? env("key"),
  };
  const anySasl = mechanism !== undefined || username !== undefined || password !== undefined;
  const anyFile = Object.values(files).some((v) => v !== undefined);
  const given = options.securityProtocol ?? env("protocol");
  const protocol = (given?.toUpperCase() ??
    (anySasl ? "SASL_SSL" : anyFile ? "SSL" : "PLAINTEXT")) as SecurityProtocol;
  const where = (opt: string, name: string) => `${opt} (or ${name})`;
  if (!PROTOCOLS.includes(protocol)) {
    throw new SecurityConfigError(
      `${where("securityProtocol", SECURITY_ENV.protocol)} must be one of ${
        PROTOCOLS.join(", ")
      }, not "${given}"`,
    );
  }
  const out: ClientSecurity = { protocol };
  if (protocol.startsWith("SASL_")) {
    if (mechanism === undefined || !MECHANISMS.includes(mechanism.toUpperCase())) {
      throw new SecurityConfigError(
        `${protocol} needs ${where("sasl.mechanism", SECURITY_ENV.mechanism)}: one of ${
          MECHANISMS.join(", ")
        }${mechanism === undefined ? "" : `, not "${mechanism}"`}`,
      );
    }
    if (!username) {
      throw new SecurityConfigError(
        `${protocol} needs ${where("sasl.username", SECURITY_ENV.username)}`,
      );
    }
    if (password === undefined) {
      throw new SecurityConfigError(
        `${protocol} needs ${where("sasl.password", SECURITY_ENV.password)}`,
      );
    }
    out.sasl = { mechanism: mechanism.toUpperCase() as SaslMechanism, username, password };
  } else if (anySasl) {
    throw new SecurityConfigError(
      `SASL credentials are set but the security protocol is ${protocol}; use SASL_SSL ` +
        `(or SASL_PLAINTEXT) in ${where("securityProtocol", SECURITY_ENV.protocol)}`,
    );
  }
  if (protocol === "SSL" || protocol === "SASL_SSL") {
    if ((files.certLocation === undefined) !== (files.keyLocation === undefined)) {
      throw new SecurityConfigError(
        `mutual TLS needs both ${SECURITY_ENV.cert} and ${SECURITY_ENV.key} (ssl.certLocation ` +
          `and ssl.keyLocation)`,
      );
    }
    const read = (path: string | undefined, name: string) => {
      if (path === undefined) return undefined;
      try {
        return readFile(path);
      } catch (err) {
        throw new SecurityConfigError(
          `cannot read ${name} ${path}: ${err instanceof Error ? err.message : err}`,
        );
      }
    };
    out.tls = {
      ca: read(files.caLocation, SECURITY_ENV.ca),
      cert: read(files.certLocation, SECURITY_ENV.cert),
      key: read(files.keyLocation, SECURITY_ENV.key),
    };
  } else if (anyFile) {
    throw new SecurityConfigError(
      `TLS files are set but the security protocol is ${protocol}; use SSL or SASL_SSL in ` +
        where("securityProtocol", SECURITY_ENV.protocol),
    );
  }
  return out;
}

/** kafkajs's `ssl` and `sasl` settings for a resolved security. */
export function kafkajsSecurity(s: ClientSecurity): Pick<KafkaConfig, "ssl" | "sasl"> {
  const out: Pick<KafkaConfig, "ssl" | "sasl"> = {};
  if (s.tls) {
    const { ca, cert, key } = s.tls;
    out.ssl = ca || cert ? { ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert, key } : {}) } : true;
  }
  if (s.sasl) {
    const m = s.sasl.mechanism.toLowerCase() as "plain" | "scram-sha-256" | "scram-sha-512";
    out.sasl = {
      mechanism: m,
      username: s.sasl.username,
      password: s.sasl.password,
    } as SASLOptions;
  }
  return out;
}

/** One line for logs: protocol, mechanism and user, the password as `***`. */
export function describeSecurity(s: ClientSecurity): string {
  if (s.protocol === "PLAINTEXT") return "PLAINTEXT";
  const parts: string[] = [s.protocol];
  if (s.sasl) parts.push(`${s.sasl.mechanism} as ${s.sasl.username} (password ***)`);
  if (s.tls) {
    parts.push(s.tls.ca ? "CA file" : "system CAs");
    if (s.tls.cert) parts.push("client certificate");
  }
  return parts.join(", ");
}
