/**
 * Group-free reads for the inspection tools (`sa lag`, `sa console`): fetch records at an exact
 * offset of one partition, batch the offsets of many topics into one request per broker, find
 * offsets by timestamp, and commit a stopped group's offsets, all without joining a consumer
 * group. kafkajs exposes these only through its consumer (a group join per read, seconds on
 * any broker); its `Cluster` does them directly, so we reach that one private factory here, in
 * this file only, and keep to the Kafka wire protocol (any broker works).
 *
 * @module
 */
import type { Kafka } from "kafkajs";
import { kafkaFor } from "./_kafka.ts";

/** One record as read from a partition. */
export interface RawRecord {
  partition: number;
  offset: number;
  /** Epoch ms. */
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: { key: string; value: Uint8Array | null }[];
}

/** Start and end offsets of one partition. */
export interface PartitionRange {
  partition: number;
  /** Log start offset. */
  low: number;
  /** High watermark (the next offset to be written). */
  high: number;
}

// The parts of kafkajs's internal Cluster and Broker this file uses.
interface KBroker {
  fetch(req: unknown): Promise<{
    responses: {
      topicName: string;
      partitions: {
        partition: number;
        errorCode: number;
        highWatermark: string;
        messages: KMessage[];
      }[];
    }[];
  }>;
  offsetCommit(req: unknown): Promise<unknown>;
  listOffsets(req: {
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[];
  }): Promise<{
    responses: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }>;
}
interface KMessage {
  offset: string;
  timestamp: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers?: Record<string, Uint8Array | Uint8Array[] | null | undefined>;
  isControlRecord?: boolean;
}
interface KCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  refreshMetadata(): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(q: { nodeId: number }): Promise<KBroker>;
  findGroupCoordinator(q: { groupId: string }): Promise<KBroker>;
}

function createCluster(kafka: Kafka): KCluster {
  const sym = Object.getOwnPropertySymbols(kafka).find((s) =>
    s.description === "private:Kafka:createCluster"
  );
  if (!sym) throw new Error("this kafkajs version has no cluster factory");
  const factory = (kafka as unknown as Record<symbol, (o: unknown) => KCluster>)[sym];
  return factory({ allowAutoTopicCreation: false, metadataMaxAge: 60_000 });
}

/** A connection for group-free reads; call {@link close} when done. */
export class ClusterReader {
  #cluster: KCluster;
  #known = new Set<string>();
  #kafka: Kafka;

  constructor(readonly address: string, kafka: Kafka = kafkaFor(address)) {
    this.#kafka = kafka;
    this.#cluster = createCluster(kafka);
  }

  #queue: Promise<unknown> = Promise.resolve();
  /** Replaced clusters, disconnected once no read can still be using them. */
  #retired: { cluster: KCluster; at: number }[] = [];

  /**
   * Connects and loads metadata of `topics`, one caller at a time (kafkajs answers "Broker not
   * connected" to requests made while another caller's connect or metadata refresh is still
   * replacing its connections), and gives the cluster to use for the reads that follow: a
   * {@link refresh} meanwhile replaces `#cluster`, never the one a read holds.
   */
  #ready(topics: string[]): Promise<KCluster> {
    const run = this.#queue.then(async () => {
      for (let attempt = 0;; attempt++) {
        const cluster = this.#cluster;
        try {
          if (!cluster.isConnected()) await cluster.connect();
          const fresh = topics.filter((t) => !this.#known.has(t));
          if (fresh.length) {
            await cluster.addMultipleTargetTopics(fresh);
            for (const t of fresh) this.#known.add(t);
          }
          return cluster;
        } catch (err) {
          // A tracked topic was deleted behind our back: every refresh of the tracked set
          // fails from then on. Start over with a cluster that tracks only what is asked now.
          if ((err as { type?: string }).type !== "UNKNOWN_TOPIC_OR_PARTITION" || attempt > 0) {
            throw err;
          }
          this.#replace();
        }
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  #replace(): void {
    const now = Date.now();
    this.#retired.push({ cluster: this.#cluster, at: now });
    this.#cluster = createCluster(this.#kafka);
    this.#known.clear();
    // A read holds its cluster for one request or a few: a minute is plenty.
    const keep = this.#retired.filter((r) => now - r.at < 60_000);
    for (const r of this.#retired) if (!keep.includes(r)) r.cluster.disconnect().catch(() => {});
    this.#retired = keep;
  }

  /**
   * Forgets cached metadata and the topics it tracks (after topics were created or deleted:
   * kafkajs keeps asking for a tracked topic, and a deleted one fails every refresh).
   */
  refresh(): Promise<void> {
    const run = this.#queue.then(() => this.#replace());
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Partition ids of a topic (empty when it does not exist). */
  async partitions(topic: string): Promise<number[]> {
    const cluster = await this.#ready([topic]);
    return cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) =>
      a - b
    );
  }

  /**
   * Partition metadata of `topics` by topic, in one pass over the cluster's metadata
   * (`findTopicPartitionMetadata` searches the whole list for each topic: quadratic).
   */
  #metadata(
    cluster: KCluster,
    topics: string[],
  ): Map<string, { partitionId: number; leader: number }[]> {
    const all = (cluster as unknown as {
      brokerPool?: {
        metadata?: {
          topicMetadata?: {
            topic: string;
            partitionMetadata: { partitionId: number; leader: number }[];
          }[];
        };
      };
    }).brokerPool?.metadata?.topicMetadata;
    if (all) return new Map(all.map((t) => [t.topic, t.partitionMetadata]));
    return new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t)]));
  }

  /**
   * Offsets at `timestamp` (-2 earliest, -1 latest, else epoch ms) of every partition of
   * `topics`: one ListOffsets request per leader. (kafkajs's own helper merges its answers
   * in quadratic time: 0.4 s for 1,000 topics.)
   */
  async #offsetsAt(
    cluster: KCluster,
    topics: string[],
    timestamp: number,
    meta = this.#metadata(cluster, topics),
  ): Promise<Map<string, number>> {
    const perLeader = new Map<number, Map<string, { partition: number; timestamp: number }[]>>();
    for (const topic of topics) {
      for (const p of meta.get(topic) ?? []) {
        const byTopic = perLeader.get(p.leader) ?? new Map();
        perLeader.set(p.leader, byTopic);
        const parts = byTopic.get(topic) ?? [];
        byTopic.set(topic, parts);
        parts.push({ partition: p.partitionId, timestamp });
      }
    }
    const out = new Map<string, number>(); // "topic\0partition"
    await Promise.all([...perLeader].map(async ([nodeId, byTopic]) => {
      const broker = await cluster.findBroker({ nodeId });
      const res = await broker.listOffsets({
        isolationLevel: 1,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
      for (const t of res.responses) {
        for (const p of t.partitions) out.set(`${t.topic}\0${p.partition}`, Number(p.offset));
      }
    }));
    return out;
  }

  /** Start and end offsets of every partition of `topics`, in one request per broker and side. */
  async ranges(topics: string[]): Promise<Map<string, PartitionRange[]>> {
    const out = new Map<string, PartitionRange[]>();
    if (!topics.length) return out;
    const cluster = await this.#ready(topics);
    const meta = this.#metadata(cluster, topics);
    const [lows, highs] = await Promise.all([
      this.#offsetsAt(cluster, topics, -2, meta),
      this.#offsetsAt(cluster, topics, -1, meta),
    ]);
    for (const topic of topics) {
      const parts = (meta.get(topic) ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
      if (!parts.length) continue;
      out.set(
        topic,
        parts.map((partition) => ({
          partition,
          low: lows.get(`${topic}\0${partition}`) ?? 0,
          high: highs.get(`${topic}\0${partition}`) ?? 0,
        })),
      );
    }
    return out;
  }

  /** Per partition, the first offset whose timestamp is >= `ms` (-1: none, past the end). */
  async offsetsForTime(topic: string, ms: number): Promise<Map<number, number>> {
    const cluster = await this.#ready([topic]);
    const at = await this.#offsetsAt(cluster, [topic], ms);
    return new Map([...at].map(([k, o]) => [Number(k.slice(k.indexOf("\0") + 1)), o]));
  }

  /**
   * Records of one partition from `offset` on (never earlier ones), up to about `maxBytes`.
   * `maxWaitMs` > 0 waits that long for data when there is none yet.
   */
  async read(
    topic: string,
    partition: number,
    offset: number,
    maxBytes = 1 << 20,
    maxWaitMs = 0,
  ): Promise<{ records: RawRecord[]; high: number }> {
    const cluster = await this.#ready([topic]);
    const meta = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === partition);
    if (!meta) throw new Error(`topic "${topic}" has no partition ${partition}`);
    const broker = await cluster.findBroker({ nodeId: meta.leader });
    const res = await broker.fetch({
      replicaId: -1,
      isolationLevel: 1,
      maxWaitTime: maxWaitMs,
      minBytes: maxWaitMs > 0 ? 1 : 0,
      maxBytes,
      topics: [{
        topic,
        partitions: [{ partition, fetchOffset: String(offset), maxBytes }],
      }],
    });
    const p = res.responses[0]?.partitions[0];
    if (!p) return { records: [], high: offset };
    const records: RawRecord[] = [];
    for (const m of p.messages) {
      const o = Number(m.offset);
      if (o < offset || m.isControlRecord) continue;
      const headers: RawRecord["headers"] = [];
      for (const [k, v] of Object.entries(m.headers ?? {})) {
        for (const one of Array.isArray(v) ? v : [v]) {
          headers.push({ key: k, value: one ?? null });
        }
      }
      records.push({
        partition,
        offset: o,
        timestamp: Number(m.timestamp),
        key: m.key ?? null,
        value: m.value ?? null,
        headers,
      });
    }
    return { records, high: Number(p.highWatermark) };
  }

  /**
   * Commits offsets for a group with no running member (generation -1, no member id, as
   * Kafka's own reset tool does). The broker refuses it while the group has members.
   */
  async commit(
    groupId: string,
    topic: string,
    partitions: { partition: number; offset: number }[],
  ): Promise<void> {
    const cluster = await this.#ready([]);
    const coordinator = await cluster.findGroupCoordinator({ groupId });
    await coordinator.offsetCommit({
      groupId,
      groupGenerationId: -1,
      memberId: "",
      topics: [{
        topic,
        partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.offset) })),
      }],
    });
  }

  /** Disconnects. */
  async close(): Promise<void> {
    await this.#queue;
    for (const r of this.#retired) await r.cluster.disconnect().catch(() => {});
    this.#retired = [];
    await this.#cluster.disconnect().catch(() => {});
  }
}

/**
 * Exact lag in seconds of a group on one partition: now minus the timestamp of the record at
 * the committed offset (the oldest record the group has not processed). 0 when it has caught
 * up; null when it has never committed. A record removed by retention or compaction is
 * stood in for by the next one.
 */
export async function lagSeconds(
  reader: ClusterReader,
  topic: string,
  partition: number,
  committed: number,
  end: number,
  now = Date.now(),
): Promise<number | null> {
  if (committed < 0) return null;
  if (committed >= end) return 0;
  const { records } = await reader.read(topic, partition, committed, 64 * 1024);
  const first = records[0];
  if (!first) return null;
  return Math.max(0, (now - first.timestamp) / 1000);
}
