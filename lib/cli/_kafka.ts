/**
 * Kafka access for the inspection commands (`topics`, `produce`, `consume`, `groups`, `lag`):
 * which broker to talk to, a kafkajs client tuned to fail fast, and connection errors turned
 * into one line naming the broker.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { type Admin, Kafka, logLevel } from "kafkajs";
import { type CliEnv, CliError } from "./_command.ts";
import { readDotEnv } from "../project/env.ts";
import { BROKER_KEYS } from "../project/dotenv_export.ts";
import { LOCAL_BROKER } from "../templates/project.ts";
import { filterKafkajsTimerWarning } from "../stream/kafka/_kafka.ts";
import {
  type ClientSecurity,
  describeSecurity,
  kafkajsSecurity,
  resolveSecurity,
  SECURITY_ENV,
} from "../stream/kafka/security.ts";

/** Shared `--broker` option declaration. */
export const BROKER_OPTION = { broker: { type: "string" as const, short: "b" } };

/** Help text line for `--broker`. */
export const BROKER_HELP =
  "  -b, --broker ADDR  broker host:port (default: SA_BROKER, Quix__Broker__Address, .env, localhost:19092)";

/**
 * Which broker to use, and where the address came from (for messages): `--broker`, else
 * `SA_BROKER` / `Quix__Broker__Address` from the environment, else from the project's `.env`,
 * else localhost:19092. An empty value counts as unset.
 */
export function pickBroker(
  flagValue: string | undefined,
  processEnv: Readonly<Record<string, string>>,
  dotenv: Record<string, string>,
): { address: string; source: string } {
  if (flagValue) return { address: flagValue, source: "--broker" };
  for (const [vars, where] of [[processEnv, "environment"], [dotenv, ".env"]] as const) {
    for (const name of BROKER_KEYS) {
      if (vars[name]) return { address: vars[name], source: `${name} in the ${where}` };
    }
  }
  return { address: LOCAL_BROKER, source: "the default" };
}

/** The broker address as {@link pickBroker} finds it (with the project's `.env`), checked. */
export async function brokerAddress(option: string | undefined, env: CliEnv): Promise<string> {
  return (await brokerTarget(option, env)).address;
}

/**
 * The `SA_SECURITY_PROTOCOL`, `SA_SASL_*` and `SA_SSL_*` values, from the environment over the
 * project's `.env` (empty counts as unset). Relative TLS file paths are made absolute against
 * `cwd`, so apps in their sandboxes and the CLI read the same files.
 */
export function pickSecurityEnv(
  processEnv: Readonly<Record<string, string>>,
  dotenv: Record<string, string>,
  cwd: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.values(SECURITY_ENV)) {
    const v = processEnv[name] || dotenv[name];
    if (v) out[name] = name.endsWith("_LOCATION") ? resolve(cwd, v) : v;
  }
  return out;
}

/** The resolved security of {@link pickSecurityEnv}'s values; a bad one is a CliError. */
export function securityFrom(vars: Record<string, string>): ClientSecurity {
  try {
    return resolveSecurity({}, (name) => vars[name]);
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
}

/** The broker address and how to reach it (SASL, TLS), from flags, environment and `.env`. */
export async function brokerTarget(
  option: string | undefined,
  env: CliEnv,
): Promise<{ address: string; security: ClientSecurity }> {
  const dotenv = await readDotEnv(join(env.cwd, ".env"));
  const { address } = pickBroker(option, env.env, dotenv);
  const security = securityFrom(pickSecurityEnv(env.env, dotenv, env.cwd));
  for (const part of address.split(",")) {
    if (!/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(part.trim())) {
      throw new CliError(`invalid broker address "${address}": expected host:port`, 2);
    }
  }
  return { address, security };
}

/** A kafkajs client that gives up quickly: an inspection command should not hang. */
export function kafkaFor(address: string, security?: ClientSecurity): Kafka {
  filterKafkajsTimerWarning();
  return new Kafka({
    clientId: "sa-cli",
    brokers: address.split(",").map((s) => s.trim()),
    ...(security ? kafkajsSecurity(security) : {}),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

/** Rewrites a kafkajs failure as a one-line CliError naming the broker. */
export function kafkaError(address: string, err: unknown, security?: ClientSecurity): CliError {
  if (err instanceof CliError) return err;
  const e = err as { name?: string; message?: string; type?: string };
  const msg = (e?.message ?? String(err)).split("\n")[0];
  const how = security && security.protocol !== "PLAINTEXT"
    ? ` (${describeSecurity(security)})`
    : "";
  if (e?.name === "KafkaJSSASLAuthenticationError" || /SASL .*authentication failed/i.test(msg)) {
    return new CliError(`broker ${address} refused the credentials${how}: ${msg}`);
  }
  if (/certificate|self[- ]signed|TLS|SSL|handshake/i.test(msg)) {
    return new CliError(`TLS with the broker at ${address} failed${how}: ${msg}`);
  }
  if (
    e?.name === "KafkaJSNumberOfRetriesExceeded" || e?.name === "KafkaJSConnectionError" ||
    /ECONNREFUSED|Connection (timeout|error)|connect/i.test(msg)
  ) {
    return new CliError(
      /Closed connection/i.test(msg)
        ? `the broker at ${address} closed the connection${how}: is it a TLS or SASL ` +
          `listener? Set SA_SECURITY_PROTOCOL (SSL, SASL_SSL, SASL_PLAINTEXT) and its settings`
        : `cannot reach the broker at ${address}${how}: ${msg}. Is it running (sa up), or ` +
          `pass --broker host:port`,
    );
  }
  return new CliError(`broker ${address}: ${msg}`);
}

/** Runs `fn` with a connected admin client, always disconnecting. */
export async function withAdmin<T>(
  address: string,
  fn: (admin: Admin) => Promise<T>,
  security?: ClientSecurity,
): Promise<T> {
  const admin = kafkaFor(address, security).admin();
  try {
    await admin.connect();
    return await fn(admin);
  } catch (err) {
    throw kafkaError(address, err, security);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
