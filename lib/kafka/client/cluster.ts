/**
 * A cluster as the client sees it: the bootstrap list, one connection per broker and purpose,
 * a metadata cache (partitions and their leaders per topic) and the coordinators of groups
 * and transactional ids.
 *
 * Separate purposes (e.g. `"fetch"` for long-polling Fetch, `"group"` for heartbeats) get
 * separate connections to the same broker, so a slow request on one never delays another.
 *
 * @module
 */
import { KafkaClientError } from "./errors.ts";
import { type ConnectSecurity, KafkaConnection } from "./connection.ts";
import { withRetry } from "./_retry.ts";
import {
  type BrokerInfo,
  decodeMetadataResponse,
  encodeMetadataRequest,
  METADATA,
  type MetadataResponse,
  type TopicMetadata,
} from "./apis/03_metadata.ts";
import {
  type CoordinatorType,
  decodeFindCoordinatorResponse,
  encodeFindCoordinatorRequest,
  FIND_COORDINATOR,
} from "./apis/10_find_coordinator.ts";

export type { BrokerInfo, PartitionMetadata, TopicMetadata } from "./apis/03_metadata.ts";
export type { CoordinatorType } from "./apis/10_find_coordinator.ts";

/** Options of a {@link Cluster}. */
export interface ClusterOptions {
  /** `host:port` of one or more brokers; a comma-separated string is split. */
  bootstrap: string | readonly string[];
  /** Sent in every request header. Default "sa". */
  clientId?: string;
  security?: ConnectSecurity;
  /** Per connection attempt. Default 10000. */
  connectTimeoutMs?: number;
  /** Per request. Default 30000. */
  requestTimeoutMs?: number;
  /** How long metadata and coordinator lookups keep retrying retriable errors. Default 30000. */
  retryTimeoutMs?: number;
}

/** The cluster-wide part of the metadata cache. */
export interface ClusterInfo {
  clusterId: string | null;
  controllerId: number;
  brokers: ReadonlyMap<number, BrokerInfo>;
}

/** Splits a bootstrap option into addresses. */
export function parseBootstrap(bootstrap: string | readonly string[]): string[] {
  const list = typeof bootstrap === "string" ? bootstrap.split(",") : [...bootstrap];
  const out = list.map((s) => s.trim()).filter(Boolean);
  if (out.length === 0) throw new Error("no bootstrap broker address given");
  return out;
}

/** Connections, metadata cache and coordinators of one cluster. */
export class Cluster {
  readonly clientId: string;
  readonly bootstrap: readonly string[];
  readonly security?: ConnectSecurity;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly retryTimeoutMs: number;
  #brokers = new Map<number, BrokerInfo>();
  #clusterId: string | null = null;
  #controllerId = -1;
  #topics = new Map<string, TopicMetadata>();
  /** Open (or opening) connections by `nodeId/purpose` or `bootstrap/address`. */
  #conns = new Map<string, Promise<KafkaConnection>>();
  #coordinators = new Map<string, number>();
  #refreshing: { topics: Set<string> | null; p: Promise<MetadataResponse> } | null = null;
  #closed = false;

  constructor(opts: ClusterOptions) {
    this.bootstrap = parseBootstrap(opts.bootstrap);
    this.clientId = opts.clientId ?? "sa";
    this.security = opts.security;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.retryTimeoutMs = opts.retryTimeoutMs ?? 30_000;
  }

  /** Cluster id, controller and brokers from the last metadata answer. */
  get info(): ClusterInfo {
    return { clusterId: this.#clusterId, controllerId: this.#controllerId, brokers: this.#brokers };
  }

  #open(key: string, address: string): Promise<KafkaConnection> {
    if (this.#closed) {
      // Not retriable: whatever still runs on this client (a retry loop) stops at once.
      return Promise.reject(
        new KafkaClientError(
          { code: 13, name: "CLIENT_CLOSED", retriable: false },
          `Kafka client ${this.clientId} is closed`,
        ),
      );
    }
    const existing = this.#conns.get(key);
    if (existing) return existing;
    const p = KafkaConnection.open(address, {
      clientId: this.clientId,
      security: this.security,
      connectTimeoutMs: this.connectTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
    });
    this.#conns.set(key, p);
    p.then(
      (c) => {
        // Forget it once closed, so the next use reconnects.
        c.closed.then(() => {
          if (this.#conns.get(key) === p) this.#conns.delete(key);
        });
        if (this.#closed) c.close();
      },
      () => {
        if (this.#conns.get(key) === p) this.#conns.delete(key);
      },
    );
    return p;
  }

  /**
   * The connection to broker `nodeId` for `purpose` (opened on first use, reopened after it
   * closed). Unknown node ids refresh the metadata first.
   */
  async connection(nodeId: number, purpose = "default"): Promise<KafkaConnection> {
    let b = this.#brokers.get(nodeId);
    if (!b) {
      await this.metadata([]);
      b = this.#brokers.get(nodeId);
      if (!b) {
        throw new KafkaClientError(
          { code: 5, name: "LEADER_NOT_AVAILABLE", retriable: true },
          `broker ${nodeId} is not in the cluster's metadata`,
        );
      }
    }
    return this.#open(`${nodeId}/${purpose}`, b.address);
  }

  /** A connection to any live broker (known brokers first, then the bootstrap list). */
  async anyConnection(): Promise<KafkaConnection> {
    // An open general-purpose connection: never one that carries produce or long-poll fetches.
    for (const [key, p] of this.#conns) {
      if (!key.endsWith("/default") && !key.startsWith("bootstrap/")) continue;
      const c = await p.catch(() => null);
      if (c && !c.isClosed) return c;
    }
    let last: unknown;
    const candidates = [
      ...[...this.#brokers.values()].map((b) => [`${b.nodeId}/default`, b.address]),
      ...this.bootstrap.map((a) => [`bootstrap/${a}`, a]),
    ];
    for (const [key, address] of candidates) {
      try {
        return await this.#open(key, address);
      } catch (err) {
        // A wrong password or an unsupported version fails the same way on every broker.
        if (err instanceof KafkaClientError && !err.retriable) throw err;
        last = err;
      }
    }
    throw last instanceof KafkaClientError ? last : KafkaClientError.network(
      `no broker of ${this.bootstrap.join(",")} reachable`,
      last,
    );
  }

  /**
   * Asks for metadata of `topics` (null: every topic; []: brokers only) and updates the
   * cache. Topics the answer lists with an error are cached with that error code.
   */
  async metadata(
    topics: readonly string[] | null,
    opts: { allowAutoTopicCreation?: boolean } = {},
  ): Promise<MetadataResponse> {
    const conn = await this.anyConnection();
    const v = conn.pickVersion(METADATA.key, METADATA.version, METADATA.version, "Metadata");
    const r = await conn.request(
      METADATA.key,
      v,
      (w) => encodeMetadataRequest(w, topics, opts.allowAutoTopicCreation ?? false),
    );
    const res = decodeMetadataResponse(r);
    this.#clusterId = res.clusterId;
    this.#controllerId = res.controllerId;
    if (res.brokers.length > 0) {
      this.#brokers = new Map(res.brokers.map((b) => [b.nodeId, b]));
    }
    for (const t of res.topics) {
      if (t.errorCode === 0) this.#topics.set(t.name, t);
      else this.#topics.delete(t.name);
    }
    return res;
  }

  /** Refreshes the metadata of every cached topic and of `topics` (one request at a time). */
  async refresh(topics: readonly string[] = []): Promise<void> {
    const want = new Set([...this.#topics.keys(), ...topics]);
    const cur = this.#refreshing;
    if (cur && [...want].every((t) => cur.topics === null || cur.topics.has(t))) {
      await cur.p;
      return;
    }
    const p = this.metadata([...want]);
    const entry = { topics: want, p };
    this.#refreshing = entry;
    try {
      await p;
    } finally {
      if (this.#refreshing === entry) this.#refreshing = null;
    }
  }

  /** The cached metadata of `topic`, if any (no request). */
  cachedTopic(topic: string): TopicMetadata | undefined {
    return this.#topics.get(topic);
  }

  /**
   * The metadata of `topic`, from the cache or asked for (retrying retriable errors such as
   * a topic still being created). UNKNOWN_TOPIC_OR_PARTITION once the retry time is up.
   */
  async topic(
    topic: string,
    opts: { allowAutoTopicCreation?: boolean } = {},
  ): Promise<TopicMetadata> {
    const cached = this.#topics.get(topic);
    if (cached) return cached;
    return await withRetry(async () => {
      const res = await this.metadata([topic], opts);
      const t = res.topics.find((x) => x.name === topic);
      if (!t) throw KafkaClientError.fromCode(3, `metadata for ${topic}`);
      if (t.errorCode !== 0) throw KafkaClientError.fromCode(t.errorCode, `metadata for ${topic}`);
      if (t.partitions.length === 0) throw KafkaClientError.fromCode(5, `metadata for ${topic}`);
      return t;
    }, { timeoutMs: this.retryTimeoutMs });
  }

  /** Partition numbers of `topic`, sorted. */
  async partitions(topic: string): Promise<number[]> {
    return (await this.topic(topic)).partitions.map((p) => p.partition);
  }

  /**
   * Node id of the leader of `topic[partition]` (cached). Throws a retriable
   * LEADER_NOT_AVAILABLE when the cache has no leader; call {@link refresh} and try again.
   */
  async leader(topic: string, partition: number): Promise<number> {
    const t = await this.topic(topic);
    const p = t.partitions[partition]?.partition === partition
      ? t.partitions[partition]
      : t.partitions.find((x) => x.partition === partition);
    if (!p) {
      throw KafkaClientError.fromCode(3, `${topic}[${partition}]: no such partition`);
    }
    if (p.leader < 0 || p.errorCode !== 0) {
      throw KafkaClientError.fromCode(p.errorCode || 5, `leader of ${topic}[${partition}]`);
    }
    return p.leader;
  }

  /** Drops `topic` from the cache (e.g. after NOT_LEADER_OR_FOLLOWER or a deletion). */
  invalidate(topic: string): void {
    this.#topics.delete(topic);
  }

  /**
   * Node id of the coordinator of group or transactional id `key` (FindCoordinator, cached;
   * retriable errors such as COORDINATOR_NOT_AVAILABLE are retried).
   */
  async coordinator(type: CoordinatorType, key: string): Promise<number> {
    const cacheKey = `${type}/${key}`;
    const cached = this.#coordinators.get(cacheKey);
    if (cached !== undefined) return cached;
    return await withRetry(async () => {
      const conn = await this.anyConnection();
      const v = conn.pickVersion(
        FIND_COORDINATOR.key,
        FIND_COORDINATOR.version,
        FIND_COORDINATOR.version,
        "FindCoordinator",
      );
      const res = decodeFindCoordinatorResponse(
        await conn.request(
          FIND_COORDINATOR.key,
          v,
          (w) => encodeFindCoordinatorRequest(w, key, type),
        ),
      );
      if (res.errorCode !== 0) {
        throw KafkaClientError.fromCode(
          res.errorCode,
          `FindCoordinator for ${type} ${JSON.stringify(key)}`,
          res.errorMessage,
        );
      }
      if (!this.#brokers.has(res.nodeId)) {
        const address = `${res.host.includes(":") ? `[${res.host}]` : res.host}:${res.port}`;
        this.#brokers.set(res.nodeId, {
          nodeId: res.nodeId,
          host: res.host,
          port: res.port,
          rack: null,
          address,
        });
      }
      this.#coordinators.set(cacheKey, res.nodeId);
      return res.nodeId;
    }, { timeoutMs: this.retryTimeoutMs });
  }

  /** Forgets a cached coordinator (after NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE). */
  forgetCoordinator(type: CoordinatorType, key: string): void {
    this.#coordinators.delete(`${type}/${key}`);
  }

  /** Closes every connection; later calls fail with CLIENT_CLOSED (not retriable). */
  async close(): Promise<void> {
    this.#closed = true;
    const conns = [...this.#conns.values()];
    this.#conns.clear();
    for (const p of conns) {
      const c = await p.catch(() => null);
      c?.close();
    }
  }
}
