/**
 * What every console endpoint shares: the broker address, one kafkajs admin and one
 * {@link ClusterReader} (connected lazily, dropped and rebuilt after a broker failure), the
 * read-only switch, and the error type the server turns into a JSON answer.
 *
 * @module
 */
import type { Admin, Kafka } from "kafkajs";
import { kafkaFor } from "../cli/_kafka.ts";
import type { ClientSecurity } from "../stream/kafka/security.ts";
import { ClusterReader } from "../cli/_cluster.ts";
import { BrokerInfo } from "./_broker_info.ts";

/** A failure with an HTTP status and a one-line message for the page. */
export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** Options of a console. */
export interface ConsoleOptions {
  /** Broker bootstrap address, host:port[,host:port]. */
  address: string;
  /** Refuse every write. */
  readOnly?: boolean;
  /** The project folder (sa.yaml, .sa/) for the pipeline page; none: no pipeline. */
  projectDir?: string;
  /** How to reach the broker (SASL, TLS); default plaintext. */
  security?: ClientSecurity;
}

/** Connections and switches shared by the endpoints. */
export class ConsoleContext {
  readonly address: string;
  readonly readOnly: boolean;
  readonly projectDir: string | undefined;
  #kafka: Kafka;
  #admin: Promise<Admin> | undefined;
  #reader: ClusterReader | undefined;
  /** ApiVersions and DescribeLogDirs, which kafkajs does not send. */
  readonly info: BrokerInfo;
  /** Broker reachability as last seen: the page shows a banner when it is down. */
  broker: { up: boolean; error?: string; checkedAt: number } = { up: true, checkedAt: 0 };

  constructor(opts: ConsoleOptions) {
    this.address = opts.address;
    this.readOnly = opts.readOnly ?? false;
    this.projectDir = opts.projectDir;
    this.#kafka = kafkaFor(opts.address, opts.security);
    this.info = new BrokerInfo(opts.address, opts.security);
  }

  /** The kafkajs client (for producers). */
  get kafka(): Kafka {
    return this.#kafka;
  }

  /**
   * Runs `fn` with the admin and reader. A connection failure marks the broker down, drops
   * both connections so the next call reconnects, and becomes a 503.
   */
  async run<T>(fn: (admin: Admin, reader: ClusterReader) => Promise<T>): Promise<T> {
    try {
      const admin = await this.#connectAdmin();
      this.#reader ??= new ClusterReader(this.address, this.#kafka);
      const out = await fn(admin, this.#reader);
      this.broker = { up: true, checkedAt: Date.now() };
      return out;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      if (isConnectionError(err)) {
        this.broker = { up: false, error: oneLine(err), checkedAt: Date.now() };
        await this.#drop();
        throw new ApiError(503, `cannot reach the broker at ${this.address}: ${oneLine(err)}`);
      }
      throw new ApiError(502, `broker ${this.address}: ${oneLine(err)}`);
    }
  }

  #connectAdmin(): Promise<Admin> {
    if (!this.#admin) {
      const admin = this.#kafka.admin();
      this.#admin = admin.connect().then(() => admin);
      this.#admin.catch(() => (this.#admin = undefined));
    }
    return this.#admin;
  }

  async #drop(): Promise<void> {
    const admin = this.#admin;
    const reader = this.#reader;
    this.#admin = undefined;
    this.#reader = undefined;
    this.info.close();
    await admin?.then((a) => a.disconnect()).catch(() => {});
    await reader?.close();
  }

  /** Disconnects everything. */
  async close(): Promise<void> {
    await this.#drop();
  }
}

/** The first line of an error's message. */
export function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

function isConnectionError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; retriable?: boolean };
  return e?.name === "KafkaJSNumberOfRetriesExceeded" || e?.name === "KafkaJSConnectionError" ||
    e?.name === "KafkaJSConnectionClosedError" || e?.name === "KafkaJSRequestTimeoutError" ||
    e?.name === "KafkaJSBrokerNotFound" || e?.name === "KafkaJSNonRetriableError" &&
      /connect|closed/i.test(e.message ?? "") ||
    /ECONNREFUSED|ECONNRESET|Connection (timeout|error|closed)|not connected/i.test(
      e?.message ?? "",
    );
}
