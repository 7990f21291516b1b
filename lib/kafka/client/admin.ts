/**
 * Cluster administration the toolkit needs: list topics (Metadata), create topics (idempotently,
 * waiting until every partition has a leader), delete topics, and list offsets by timestamp or
 * earliest/latest.
 *
 * @module
 */
import { errorInfo, KafkaClientError } from "./errors.ts";
import type { Cluster } from "./cluster.ts";
import { sleep, withRetry } from "./_retry.ts";
import type { MetadataResponse } from "./apis/03_metadata.ts";
import {
  CREATE_TOPICS,
  type CreateTopicResult,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
  type NewTopic,
} from "./apis/19_create_topics.ts";
import {
  decodeDeleteTopicsResponse,
  DELETE_TOPICS,
  encodeDeleteTopicsRequest,
} from "./apis/20_delete_topics.ts";
import {
  decodeListOffsetsResponse,
  EARLIEST_TIMESTAMP,
  encodeListOffsetsRequest,
  LATEST_TIMESTAMP,
  LIST_OFFSETS,
} from "./apis/02_list_offsets.ts";

export type { NewTopic } from "./apis/19_create_topics.ts";

/** Where {@link Admin.listOffsets} looks: the first, the next-to-be-written, or by time. */
export type OffsetSpec = "earliest" | "latest" | { timestamp: number };

/** One partition's offset from {@link Admin.listOffsets}. */
export interface PartitionOffset {
  partition: number;
  /** -1 when no record has a timestamp at or after the one asked for. */
  offset: number;
  timestamp: number;
}

/** Admin operations on a {@link Cluster}. */
export class Admin {
  constructor(readonly cluster: Cluster) {}

  /** Names of every topic, internal ones (e.g. `__consumer_offsets`) left out unless asked. */
  async listTopics(opts: { internal?: boolean } = {}): Promise<string[]> {
    const res = await this.metadata(null);
    return res.topics.filter((t) => t.errorCode === 0 && (opts.internal || !t.isInternal))
      .map((t) => t.name).sort();
  }

  /** A fresh Metadata answer for `topics` (null: every topic), never auto-creating. */
  metadata(topics: readonly string[] | null): Promise<MetadataResponse> {
    return withRetry(() => this.cluster.metadata(topics), {
      timeoutMs: this.cluster.retryTimeoutMs,
    });
  }

  /**
   * Creates `topics` and reports, per name, "created" or "exists" (existing topics are left
   * as they are). Any other refusal throws naming the topic and the broker's reason. With
   * `waitForLeaders` (default true) it resolves once every new partition has a leader.
   */
  async createTopics(
    topics: readonly NewTopic[],
    opts: { timeoutMs?: number; waitForLeaders?: boolean; validateOnly?: boolean } = {},
  ): Promise<Record<string, "created" | "exists">> {
    if (topics.length === 0) return {};
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const results = await withRetry(async () => {
      const conn = await this.#controller();
      const v = conn.pickVersion(
        CREATE_TOPICS.key,
        CREATE_TOPICS.version,
        CREATE_TOPICS.version,
        "CreateTopics",
      );
      const res = decodeCreateTopicsResponse(
        await conn.request(
          CREATE_TOPICS.key,
          v,
          (w) => encodeCreateTopicsRequest(w, topics, timeoutMs, opts.validateOnly ?? false),
          { timeoutMs: timeoutMs + this.cluster.requestTimeoutMs },
        ),
      );
      // NOT_CONTROLLER: the controller moved; ask again (the cluster's metadata says where).
      if (res.some((r) => r.errorCode === 41)) {
        await this.cluster.metadata([]);
        throw KafkaClientError.fromCode(41, "CreateTopics");
      }
      return res;
    }, { timeoutMs: this.cluster.retryTimeoutMs });
    const out: Record<string, "created" | "exists"> = {};
    const failed: CreateTopicResult[] = [];
    for (const r of results) {
      if (r.errorCode === 0) out[r.name] = "created";
      else if (r.errorCode === 36) out[r.name] = "exists";
      else failed.push(r);
    }
    if (failed.length > 0) {
      const f = failed[0];
      const info = errorInfo(f.errorCode);
      throw new KafkaClientError(
        info,
        `could not create topic ${f.name}: ${info.name}${
          f.errorMessage ? `: ${f.errorMessage}` : ""
        }${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ""}`,
      );
    }
    const created = Object.keys(out).filter((n) => out[n] === "created");
    if ((opts.waitForLeaders ?? true) && !opts.validateOnly && created.length > 0) {
      await this.#waitForLeaders(created, timeoutMs);
    }
    return out;
  }

  /**
   * Creates those of `topics` that do not exist yet (never altering existing ones); returns
   * the names it created. Another client creating one meanwhile is not an error.
   */
  async ensureTopics(
    topics: readonly NewTopic[],
    opts: { timeoutMs?: number } = {},
  ): Promise<string[]> {
    const existing = new Set(await this.listTopics({ internal: true }));
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return [];
    const res = await this.createTopics(missing, opts);
    return missing.map((t) => t.name).filter((n) => res[n] === "created");
  }

  async #waitForLeaders(names: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await this.cluster.metadata(names);
      const ready = names.every((n) => {
        const t = res.topics.find((x) => x.name === n);
        return t && t.errorCode === 0 && t.partitions.length > 0 &&
          t.partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
      if (Date.now() > deadline) {
        throw KafkaClientError.fromCode(5, `topics ${names.join(", ")} have no leader yet`);
      }
      await sleep(50);
    }
  }

  /** Deletes topics; unknown ones are ignored. Other refusals throw. */
  async deleteTopics(names: readonly string[], opts: { timeoutMs?: number } = {}): Promise<void> {
    if (names.length === 0) return;
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const conn = await this.#controller();
    const v = conn.pickVersion(
      DELETE_TOPICS.key,
      DELETE_TOPICS.version,
      DELETE_TOPICS.version,
      "DeleteTopics",
    );
    const res = decodeDeleteTopicsResponse(
      await conn.request(
        DELETE_TOPICS.key,
        v,
        (w) => encodeDeleteTopicsRequest(w, names, timeoutMs),
        {
          timeoutMs: timeoutMs + this.cluster.requestTimeoutMs,
        },
      ),
    );
    for (const [name, code] of res) {
      this.cluster.invalidate(name);
      if (code !== 0 && code !== 3) throw KafkaClientError.fromCode(code, `delete topic ${name}`);
    }
  }

  /**
   * Offsets of `topic`'s partitions (all, or `opts.partitions`) at `spec`, asked of each
   * partition's leader. With `readCommitted`, "latest" is the last stable offset.
   */
  async listOffsets(
    topic: string,
    spec: OffsetSpec,
    opts: { partitions?: readonly number[]; readCommitted?: boolean } = {},
  ): Promise<PartitionOffset[]> {
    const ts = spec === "earliest"
      ? EARLIEST_TIMESTAMP
      : spec === "latest"
      ? LATEST_TIMESTAMP
      : spec.timestamp;
    return await withRetry(async () => {
      const partitions = opts.partitions ?? await this.cluster.partitions(topic);
      const byLeader = new Map<number, [number, number][]>();
      for (const p of partitions) {
        const leader = await this.cluster.leader(topic, p);
        const list = byLeader.get(leader);
        if (list) list.push([p, ts]);
        else byLeader.set(leader, [[p, ts]]);
      }
      const out: PartitionOffset[] = [];
      await Promise.all([...byLeader].map(async ([leader, parts]) => {
        const conn = await this.cluster.connection(leader);
        const v = conn.pickVersion(
          LIST_OFFSETS.key,
          LIST_OFFSETS.version,
          LIST_OFFSETS.version,
          "ListOffsets",
        );
        const res = decodeListOffsetsResponse(
          await conn.request(
            LIST_OFFSETS.key,
            v,
            (w) =>
              encodeListOffsetsRequest(w, opts.readCommitted ?? false, new Map([[topic, parts]])),
          ),
        );
        for (const p of res.get(topic) ?? []) {
          if (p.errorCode !== 0) {
            if (p.errorCode === 6 || p.errorCode === 3) this.cluster.invalidate(topic);
            throw KafkaClientError.fromCode(p.errorCode, `ListOffsets ${topic}[${p.partition}]`);
          }
          out.push({ partition: p.partition, offset: p.offset, timestamp: p.timestamp });
        }
      }));
      return out.sort((a, b) => a.partition - b.partition);
    }, { timeoutMs: this.cluster.retryTimeoutMs });
  }

  /** The controller's connection (any broker when the metadata names none). */
  async #controller() {
    let id = this.cluster.info.controllerId;
    if (id < 0) {
      await this.cluster.metadata([]);
      id = this.cluster.info.controllerId;
    }
    return id >= 0 ? await this.cluster.connection(id) : await this.cluster.anyConnection();
  }
}
