// kafkajs plumbing shared by the application and plain producers: client creation with log
// lines routed to our Logger, broker address resolution, and topic auto-creation.

import { Buffer } from "node:buffer";
import process from "node:process";
import net from "node:net";
import tls from "node:tls";
import {
  type Admin,
  type ISocketFactory,
  Kafka,
  type LogEntry,
  logLevel as KafkaLogLevel,
} from "kafkajs";
import type { Logger } from "../../util/log.ts";
import type { Topic } from "../topic.ts";
import { type ClientSecurity, kafkajsSecurity } from "./security.ts";

/** Reads an env var; undefined when unset or when the sandbox denies env access. */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** Option → `SA_BROKER` → `Quix__Broker__Address` → `localhost:19092`. */
export function resolveBrokerAddress(option?: string): string {
  return option ?? readEnv("SA_BROKER") ?? readEnv("Quix__Broker__Address") ?? "localhost:19092";
}

let warningFilterInstalled = false;

/**
 * kafkajs schedules `setTimeout(fn, negative)` when its request queue is idle, and the Node
 * compatibility layer prints a TimeoutNegativeWarning for it: harmless noise, filtered here
 * (only that warning).
 */
export function filterKafkajsTimerWarning(): void {
  if (warningFilterInstalled) return;
  warningFilterInstalled = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const opt = rest[0] as string | { type?: string } | undefined;
    const type = typeof opt === "string" ? opt : opt?.type;
    const name = (warning as { name?: string } | undefined)?.name;
    if (name === "TimeoutNegativeWarning" || type === "TimeoutNegativeWarning") return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}

/** A kafkajs client whose log lines go through `logger` (kafkajs INFO is our DEBUG). */
export function createKafka(
  brokerAddress: string,
  clientId: string,
  logger: Logger,
  security?: ClientSecurity,
): Kafka {
  const brokers = brokerAddress.split(",").map((s) => s.trim()).filter(Boolean);
  filterKafkajsTimerWarning();
  const log = logger.child(`${logger.component}:kafkajs`);
  const sockets = new Set<net.Socket>();
  const kafka = new Kafka({
    clientId,
    brokers,
    ...(security ? kafkajsSecurity(security) : {}),
    socketFactory: trackingSocketFactory(sockets),
    connectionTimeout: 3000,
    logLevel: KafkaLogLevel.INFO,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      delete (rest as Record<string, unknown>).timestamp;
      delete (rest as Record<string, unknown>).logger;
      const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
      const text = `${entry.namespace}: ${message}${extra}`;
      // Our own closing of a leftover socket (destroyLeftoverSockets) is not an error.
      if (text.includes(LEFTOVER_CLOSED)) log.debug(text);
      else if (entry.level === KafkaLogLevel.ERROR) log.error(text);
      else if (entry.level === KafkaLogLevel.WARN) log.warn(text);
      else log.debug(text);
    },
  });
  openSockets.set(kafka, sockets);
  return kafka;
}

const LEFTOVER_CLOSED = "socket closed after disconnect";

/** The sockets each client from {@link createKafka} has open. */
const openSockets = new WeakMap<Kafka, Set<net.Socket>>();

/** kafkajs' own socket factory, plus a record of the sockets it opened and not yet closed. */
function trackingSocketFactory(sockets: Set<net.Socket>): ISocketFactory {
  return ({ host, port, ssl, onConnect }) => {
    const socket = ssl
      ? tls.connect(
        { host, port, ...(!net.isIP(host) ? { servername: host } : {}), ...ssl },
        onConnect,
      )
      : net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    return socket;
  };
}

/**
 * Destroys the sockets of `kafka` still open `graceMs` after all its clients disconnected; returns
 * how many there were. A consumer disconnected while it rejoins its group after a broker
 * restart leaves its connections half-closed (kafkajs ended its side; the broker still holds
 * the parked JoinGroup), and kafkajs keeps each one's request-queue timer running until the
 * socket fails: that alone kept a stopped app's process alive. Destroying with an error is
 * what kafkajs reacts to (a plain close leaves its timer running).
 */
export async function destroyLeftoverSockets(kafka: Kafka, graceMs = 500): Promise<number> {
  const sockets = openSockets.get(kafka);
  if (!sockets) return 0;
  // Normally the broker closes its side of each ended socket at once.
  for (const end = Date.now() + graceMs; sockets.size > 0 && Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const n = sockets.size;
  for (const s of sockets) s.destroy(new Error(LEFTOVER_CLOSED));
  sockets.clear();
  return n;
}

/** Zero-copy view of bytes as the Buffer kafkajs expects (it stringifies plain Uint8Arrays). */
export function toBuffer(bytes: Uint8Array | null): Buffer | null {
  if (bytes === null) return null;
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Creates the topics that do not exist yet; existing topics are never altered. */
export async function ensureTopics(
  admin: Admin,
  topics: Iterable<Topic>,
  logger: Logger,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = [...topics].filter((t) => !existing.has(t.name));
  if (missing.length === 0) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.config.numPartitions,
        replicationFactor: t.config.replicationFactor,
        configEntries: Object.entries(t.config.extra).map(([name, value]) => ({ name, value })),
      })),
    });
  } catch (e) {
    // Another instance may have created them in between; anything else is real.
    const still = new Set(await admin.listTopics());
    const failed = missing.filter((t) => !still.has(t.name));
    if (failed.length > 0) {
      throw new Error(
        `could not create topic(s) ${failed.map((t) => t.name).join(", ")}: ${
          (e as Error).message
        }`,
        { cause: e },
      );
    }
  }
  for (const t of missing) {
    logger.info(
      `created topic ${t.name} (partitions=${t.config.numPartitions}, rf=${t.config.replicationFactor})`,
    );
  }
}
