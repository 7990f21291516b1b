/**
 * The two requests the console needs and kafkajs does not send: ApiVersions (to name the
 * broker's protocol level) and DescribeLogDirs (bytes on disk per topic). They go over the
 * toolkit's own client connection (lib/kafka/client, TLS and SASL included).
 *
 * A broker that does not list DescribeLogDirs, or fails to answer it, gives "unknown" sizes,
 * never an error: the Topics page shows "—" there.
 *
 * @module
 */
import { type ConnectSecurity, KafkaConnection } from "../kafka/client/connection.ts";

/** Versions the broker serves, by API key. */
export type ApiVersionTable = Map<number, { min: number; max: number }>;

const API_VERSIONS = 18;
const DESCRIBE_LOG_DIRS = 35;
/** A request not answered in this time drops the connection (the next call reconnects). */
const REQUEST_TIMEOUT_MS = 5000;
/** After sizes failed, how long they stay unknown before they are asked again. */
const RETRY_MS = 30_000;

/** One broker connection, one request at a time, reopened after any failure. */
class BrokerLink {
  #conn: Promise<KafkaConnection> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(readonly address: string, readonly security?: ConnectSecurity) {}

  request<T>(fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
    const run = async () => {
      const conn = this.#conn ??= KafkaConnection.open(this.address, {
        clientId: "sa-console",
        security: this.security,
      });
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        // The time limit covers connecting too: an advertised address may not route.
        return await Promise.race([
          conn.then(fn),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              reject(new Error(`${this.address}: no answer in ${REQUEST_TIMEOUT_MS} ms`));
            }, REQUEST_TIMEOUT_MS);
          }),
        ]);
      } catch (err) {
        this.close(); // also fails a read still waiting on this connection
        throw err;
      } finally {
        clearTimeout(timer);
      }
    };
    const p = this.#queue.then(run, run);
    this.#queue = p.catch(() => {});
    return p;
  }

  close(): void {
    const c = this.#conn;
    this.#conn = undefined;
    c?.then((c) => c.close()).catch(() => {});
  }
}

/** ApiVersions v0 (every broker since 0.10 answers it; its response header is always v0). */
async function apiVersions(c: KafkaConnection): Promise<ApiVersionTable> {
  const r = await c.request(API_VERSIONS, 0, () => {});
  const error = r.int16();
  if (error !== 0) throw new Error(`ApiVersions: error code ${error}`);
  const out: ApiVersionTable = new Map();
  for (const [key, min, max] of r.array((r) => [r.int16(), r.int16(), r.int16()])) {
    out.set(key, { min, max });
  }
  return out;
}

/** DescribeLogDirs v0/v1 (same layout) of every topic: bytes per topic, current logs only. */
async function logDirSizes(c: KafkaConnection, version: number): Promise<Map<string, number>> {
  const r = await c.request(DESCRIBE_LOG_DIRS, version, (w) => void w.int32(-1)); // null: all
  r.int32(); // throttle
  const sizes = new Map<string, number>();
  for (const dir of r.array((r) => r)) {
    const error = dir.int16();
    dir.string(); // log dir
    for (const t of dir.array((r) => r)) {
      const name = t.string();
      let bytes = 0;
      for (const p of t.array((r) => r)) {
        p.int32(); // partition
        const size = p.int64();
        p.int64(); // offset lag
        if (!p.bool() && error === 0) bytes += size; // a future log is a copy in progress
      }
      if (error === 0) sizes.set(name, (sizes.get(name) ?? 0) + bytes);
    }
  }
  return sizes;
}

/** Kafka releases and an API each one first served, newest first (as kafka-ui infers). */
const RELEASES: [string, number, string][] = [
  ["3.8", 75, "DescribeTopicPartitions"],
  ["3.7", 74, "ListClientMetricsResources"],
  ["3.0", 65, "DescribeTransactions"],
  ["2.8", 60, "DescribeCluster"],
  ["2.7", 50, "DescribeUserScramCredentials"],
  ["2.6", 48, "DescribeClientQuotas"],
  ["2.4", 47, "OffsetDelete"],
  ["2.3", 44, "IncrementalAlterConfigs"],
  ["2.2", 43, "ElectLeaders"],
  ["1.1", 42, "DeleteGroups"],
  ["1.0", 35, "DescribeLogDirs"],
  ["0.11", 22, "InitProducerId"],
  ["0.10.1", 19, "CreateTopics"],
  ["0.10.0", 18, "ApiVersions"],
];

/**
 * The oldest Kafka release that serves every API in `apis`, from the newest API listed:
 * "Kafka ≥ 2.4" with the API that shows it. Kafka 4.0 is told by its Produce floor (KIP-896
 * dropped Produce v0–2).
 */
export function inferKafkaVersion(apis: ApiVersionTable): { version: string; because: string } {
  const produce = apis.get(0);
  if (apis.has(75) && produce && produce.min >= 3) {
    return { version: "4.0", because: "DescribeTopicPartitions (75) and no Produce below v3" };
  }
  for (const [version, key, name] of RELEASES) {
    if (apis.has(key)) return { version, because: `${name} (${key})` };
  }
  return { version: "0.10.0", because: "ApiVersions answered" };
}

/** The console's view of what the brokers serve, with short-lived caches. */
export class BrokerInfo {
  #links = new Map<string, BrokerLink>();
  #apis: { at: number; table: ApiVersionTable } | undefined;
  /** When sizes last failed: not asked again for a while, so pages stay fast. */
  #failedAt = -Infinity;

  constructor(readonly bootstrap: string, readonly security?: ConnectSecurity) {}

  #link(address: string): BrokerLink {
    let l = this.#links.get(address);
    if (!l) this.#links.set(address, l = new BrokerLink(address, this.security));
    return l;
  }

  /** The bootstrap broker's ApiVersions (cached 30 s). */
  async apiVersions(): Promise<ApiVersionTable> {
    if (this.#apis && Date.now() - this.#apis.at < 30_000) return this.#apis.table;
    const first = this.bootstrap.split(",")[0].trim();
    const table = await this.#link(first).request(apiVersions);
    this.#apis = { at: Date.now(), table };
    return table;
  }

  /**
   * Bytes on disk per topic, summed over `nodes` (every replica counts), or null when a
   * broker does not serve DescribeLogDirs or fails to answer: sizes are never half known.
   */
  async topicBytes(nodes: string[]): Promise<Map<string, number> | null> {
    if (Date.now() - this.#failedAt < RETRY_MS) return null;
    try {
      const range = (await this.apiVersions()).get(DESCRIBE_LOG_DIRS);
      if (!range || range.min > 1) return null; // not served: nothing to retry
      const version = Math.min(range.max, 1);
      const per = await Promise.all(
        nodes.map((n) => this.#link(n).request((c) => logDirSizes(c, version))),
      );
      const total = new Map<string, number>();
      for (const m of per) for (const [t, b] of m) total.set(t, (total.get(t) ?? 0) + b);
      return total;
    } catch {
      this.#failedAt = Date.now();
      return null;
    }
  }

  /** Closes every connection. */
  close(): void {
    for (const l of this.#links.values()) l.close();
    this.#links.clear();
    this.#apis = undefined;
    this.#failedAt = -Infinity;
  }
}
