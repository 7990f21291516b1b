/**
 * A group consumer on the project's own protocol code: static membership (KIP-345), eager
 * round-robin assignment, rebalance callbacks that are awaited before the member rejoins
 * (so a checkpoint completes before its partitions can move), stable committed offsets
 * (`require_stable`, KIP-447), and batches handed over as in-place cursors over the Fetch
 * response (`_records.ts`): no object per record.
 *
 * @module
 */

import type { GroupMetadata } from "./apis/28_txn_offset_commit.ts";
import {
  type Channel,
  type Committed,
  GroupError,
  GroupMember,
  type GroupOptions,
} from "./_group.ts";
import { OffsetApi, OffsetSpec, readListOffsets, writeListOffsets } from "./_offset_codec.ts";
import {
  FETCH_KEY,
  FETCH_VERSION,
  type FetchedPartition,
  type FetchPartitionRequest,
  type FetchResponse,
  Isolation,
  partitionRecords,
  readFetchResponse,
  type RecordCursor,
  writeFetchRequest,
} from "./fetch.ts";
import { ErrorCode } from "../protocol/errors.ts";

export { type Channel, GroupError } from "./_group.ts";

/** What the consumer needs from the cluster (connections per purpose, metadata). */
export interface ConsumerCluster {
  /** The connection to `groupId`'s coordinator (found with FindCoordinator, cached). */
  groupCoordinator(groupId: string): Promise<Channel>;
  /** Forgets the cached coordinator of `groupId` (it moved, or its connection failed). */
  forgetCoordinator(groupId: string): void;
  /** The leader of a partition, and a connection to it reserved for fetching. */
  fetchChannel(topic: string, partition: number): Promise<{ node: number; channel: Channel }>;
  /** The partition numbers of `topic` (empty when it does not exist). */
  partitions(topic: string): Promise<number[]>;
  /** Forgets cached metadata of `topics` (a leader moved, a topic appeared). */
  refreshMetadata(topics: string[]): void;
}

export interface ConsumerOptions extends GroupOptions {
  heartbeatIntervalMs: number;
  maxWaitMs: number;
  maxBytes: number;
  partitionMaxBytes: number;
  readCommitted: boolean;
  /** Where a partition without a committed offset starts. */
  autoOffsetReset: "earliest" | "latest";
}

/** The records of one partition from one Fetch. */
export interface ConsumerBatch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: number;
  /** The offset of the first data record. */
  readonly firstOffset: number;
  /** The data records, walked in place. */
  readonly records: RecordCursor;
  /** True once the partition was sought or revoked since this batch was fetched. */
  isStale(): boolean;
  /** Marks records up to `offset` processed: the position moves past it after the batch. */
  resolveOffset(offset: number): void;
}

export interface ConsumerHandlers {
  /** Before the member rejoins (its partitions may move to others): awaited. */
  revoking(): Promise<void>;
  /** The assignment of the new generation (topic → partitions): awaited before fetching. */
  assigned(assignment: Map<string, number[]>): Promise<void>;
  /** One partition's records. */
  batch(batch: ConsumerBatch): Promise<void>;
  /** Trouble the consumer retries (broker unreachable, coordinator moved). */
  warn(message: string): void;
}

/** A partition to fetch, at its position. */
interface Wanted {
  topic: string;
  partition: number;
  pos: Position;
}

/** Whether two fetches ask for the same partitions at the same positions. */
function sameRequest(a: Map<string, Wanted>, b: Map<string, Wanted>): boolean {
  if (a.size !== b.size) return false;
  for (const [tp, w] of a) {
    const o = b.get(tp);
    if (!o || o.pos.offset !== w.pos.offset || o.pos.epoch !== w.pos.epoch) return false;
  }
  return true;
}

/** The offset after the last complete batch of `p`'s records (`from` when there is none). */
function endOfBatches(p: FetchedPartition, from: number): number {
  const buf = p.records;
  if (!buf) return from;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let end = from;
  for (let at = 0; at + 61 <= buf.length;) {
    const next = at + 12 + v.getInt32(at + 8);
    if (next > buf.length) break;
    const last = v.getInt32(at) * 4294967296 + v.getUint32(at + 4) + v.getInt32(at + 23);
    if (last + 1 > end) end = last + 1;
    at = next;
  }
  return end;
}

interface Position {
  offset: number;
  /** Bumped by every seek: batches fetched before it are stale. */
  epoch: number;
}

const NOT_LEADER = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER.code,
  ErrorCode.LEADER_NOT_AVAILABLE.code,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION.code,
  ErrorCode.UNKNOWN_LEADER_EPOCH.code,
  74, // FENCED_LEADER_EPOCH
  75, // UNKNOWN_LEADER_EPOCH
]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A consumer group member that fetches its assigned partitions (see the module doc). */
export class Consumer {
  readonly group: GroupMember;
  #assignment = new Map<string, number[]>();
  /** "topic:partition" → the next offset to fetch; absent until known. */
  #positions = new Map<string, Position>();
  #paused = new Set<string>();
  #needJoin = true;
  #joining = false;
  #stopping = false;
  #fatal: Error | null = null;
  #heartbeat: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  /** The next fetch, sent while the previous response is processed. */
  #prefetch: { wanted: Map<string, Wanted>; responses: Promise<FetchResponse[]> } | null = null;

  constructor(readonly cluster: ConsumerCluster, readonly opts: ConsumerOptions) {
    this.group = new GroupMember(
      opts,
      () => cluster.groupCoordinator(opts.groupId),
      () => cluster.forgetCoordinator(opts.groupId),
      async (topics) =>
        new Map(
          await Promise.all(topics.map(async (t) => [t, await cluster.partitions(t)] as const)),
        ),
    );
  }

  /** Runs until {@link stop}; rejects when membership fails for good (FENCED_INSTANCE_ID). */
  run(topics: string[], handlers: ConsumerHandlers): Promise<void> {
    this.#running ??= this.#loop(topics, handlers).finally(() => clearTimeout(this.#heartbeat));
    return this.#running;
  }

  /** The next offset of a partition to fetch from now on (the current batch goes stale). */
  seek(topic: string, partition: number, offset: number): void {
    const tp = `${topic}:${partition}`;
    const p = this.#positions.get(tp);
    this.#positions.set(tp, { offset, epoch: (p?.epoch ?? 0) + 1 });
  }

  /** Stops fetching these topics (sink backpressure). */
  pause(topics: Array<{ topic: string }>): void {
    for (const t of topics) this.#paused.add(t.topic);
  }

  /** Fetches these topics again. */
  resume(topics: Array<{ topic: string }>): void {
    for (const t of topics) this.#paused.delete(t.topic);
    this.#wake?.();
  }

  /**
   * The member's group metadata (generation, member id, instance id), for a transactional
   * producer's `sendOffsets` (TxnOffsetCommit v3 refuses a stale member's offsets, KIP-447).
   */
  groupMetadata(): GroupMetadata {
    return {
      groupId: this.opts.groupId,
      generationId: this.group.generationId,
      memberId: this.group.memberId,
      groupInstanceId: this.opts.groupInstanceId ?? null,
    };
  }

  /** Commits offsets (next to read) in this member's generation. */
  commit(offsets: { topic: string; partition: number; offset: number }[]): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: number }[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partition: o.partition, offset: o.offset });
      byTopic.set(o.topic, list);
    }
    return this.group.commit([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
  }

  /** The stable committed offset of a partition (-1: none). */
  async committed(topic: string, partition: number): Promise<number> {
    const res = await this.group.committed([{ topic, partitions: [partition] }]);
    return res.find((c) => c.topic === topic && c.partition === partition)?.offset ?? -1;
  }

  /**
   * Ends {@link run} after the batch at hand, then leaves the group when `leave` (a graceful
   * stop: the others take the partitions now). A static member that will come back (a restart)
   * may stay: its partitions wait for it, up to the session timeout, without a rebalance.
   */
  async stop(opts: { leave?: boolean } = {}): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#heartbeat);
    this.#wake?.();
    await this.#running?.catch(() => {});
    if (opts.leave ?? true) await this.group.leave().catch(() => {});
  }

  async #loop(topics: string[], h: ConsumerHandlers): Promise<void> {
    this.#scheduleHeartbeat();
    let failures = 0;
    while (!this.#stopping) {
      if (this.#fatal) throw this.#fatal;
      try {
        if (this.#needJoin) await this.#rejoin(topics, h);
        else await this.#fetchRound(h);
        failures = 0;
      } catch (e) {
        if (this.#stopping) break;
        if (e instanceof GroupError && !e.retriable) throw e;
        if (e instanceof GroupError) this.#needJoin = true;
        this.cluster.refreshMetadata(topics);
        if (failures++ === 0 || failures % 20 === 0) {
          h.warn(`consumer: ${(e as Error).message}; retrying`);
        }
        await sleep(Math.min(100 * failures, 1000));
      }
    }
    if (this.#fatal) throw this.#fatal;
  }

  async #rejoin(topics: string[], h: ConsumerHandlers): Promise<void> {
    if (this.#assignment.size > 0) await h.revoking();
    this.#joining = true;
    let assignment: Map<string, number[]>;
    try {
      assignment = await this.group.join(topics);
    } finally {
      this.#joining = false;
    }
    this.#needJoin = false;
    this.#assignment = assignment;
    const keep = new Set<string>();
    for (const [t, ps] of assignment) for (const p of ps) keep.add(`${t}:${p}`);
    for (const tp of this.#positions.keys()) if (!keep.has(tp)) this.#positions.delete(tp);
    await h.assigned(assignment);
    // Partitions the handler did not seek start at their committed offset (or the reset).
    const unknown = [...assignment].map(([topic, ps]) => ({
      topic,
      partitions: ps.filter((p) => !this.#positions.has(`${topic}:${p}`)),
    })).filter((t) => t.partitions.length > 0);
    if (unknown.length === 0) return;
    const committed = await this.group.committed(unknown);
    const reset: Committed[] = [];
    for (const c of committed) {
      const tp = `${c.topic}:${c.partition}`;
      if (this.#positions.has(tp)) continue; // sought meanwhile
      if (c.offset >= 0) this.#positions.set(tp, { offset: c.offset, epoch: 0 });
      else reset.push(c);
    }
    for (const [tp, offset] of await this.#resetOffsets(reset)) {
      if (!this.#positions.has(tp)) this.#positions.set(tp, { offset, epoch: 0 });
    }
  }

  /** ListOffsets for partitions without a committed offset (earliest or latest). */
  async #resetOffsets(parts: Committed[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const timestamp = this.opts.autoOffsetReset === "earliest"
      ? OffsetSpec.earliest
      : OffsetSpec.latest;
    const isolation = this.opts.readCommitted ? Isolation.readCommitted : Isolation.readUncommitted;
    for (const [, list] of await this.#byLeader(parts)) {
      const { key, version } = OffsetApi.listOffsets;
      const topics = groupByTopic(list.parts.map((p) => ({ ...p, timestamp })));
      const res = readListOffsets(
        await list.channel.request(key, version, (w) => writeListOffsets(w, isolation, topics)),
      );
      for (const r of res) {
        if (r.errorCode !== 0) {
          throw new Error(`listing offsets of ${r.topic}[${r.partition}]: error ${r.errorCode}`);
        }
        out.set(`${r.topic}:${r.partition}`, r.offset);
      }
    }
    return out;
  }

  async #byLeader<T extends { topic: string; partition: number }>(
    parts: T[],
  ): Promise<Map<number, { channel: Channel; parts: T[] }>> {
    const out = new Map<number, { channel: Channel; parts: T[] }>();
    for (const p of parts) {
      const { node, channel } = await this.cluster.fetchChannel(p.topic, p.partition);
      const entry = out.get(node) ?? { channel, parts: [] };
      entry.parts.push(p);
      out.set(node, entry);
    }
    return out;
  }

  /** The partitions to fetch now, at their positions (paused topics left out). */
  #wanted(): Map<string, Wanted> {
    const wanted = new Map<string, Wanted>();
    for (const [topic, ps] of this.#assignment) {
      if (this.#paused.has(topic)) continue;
      for (const partition of ps) {
        const pos = this.#positions.get(`${topic}:${partition}`);
        if (pos) wanted.set(`${topic}:${partition}`, { topic, partition, pos: { ...pos } });
      }
    }
    return wanted;
  }

  /** One Fetch per leader of `wanted`, decoded (records left in place). */
  #fetch(wanted: Map<string, Wanted>): Promise<FetchResponse[]> {
    const isolationLevel = this.opts.readCommitted
      ? Isolation.readCommitted
      : Isolation.readUncommitted;
    return this.#byLeader([...wanted.values()]).then((leaders) =>
      Promise.all([...leaders].map(async ([, { channel, parts }]) => {
        const topics = new Map<string, FetchPartitionRequest[]>();
        for (const p of parts) {
          const list = topics.get(p.topic) ?? [];
          list.push({
            partition: p.partition,
            fetchOffset: p.pos.offset,
            partitionMaxBytes: this.opts.partitionMaxBytes,
          });
          topics.set(p.topic, list);
        }
        const r = await channel.request(FETCH_KEY, FETCH_VERSION, (w) =>
          writeFetchRequest(w, {
            maxWaitMs: this.opts.maxWaitMs,
            minBytes: 1,
            maxBytes: this.opts.maxBytes,
            isolationLevel,
            topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
          }), { timeoutMs: this.opts.maxWaitMs + 30_000 });
        return readFetchResponse(r);
      }))
    );
  }

  async #fetchRound(h: ConsumerHandlers): Promise<void> {
    const wanted = this.#wanted();
    if (wanted.size === 0) {
      this.#prefetch = null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(this.opts.maxWaitMs, 100));
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = null;
      return;
    }
    // The fetch sent while the previous response was processed is used when it asked for
    // exactly the positions wanted now (the usual case); else it is dropped.
    const pre = this.#prefetch;
    this.#prefetch = null;
    const responses = pre && sameRequest(pre.wanted, wanted)
      ? await pre.responses
      : await this.#fetch(wanted);
    // The next fetch starts where these records end, so the broker reads while we process.
    const next = new Map<string, Wanted>();
    for (const res of responses) {
      for (const p of res.partitions) {
        const w = wanted.get(`${p.topic}:${p.partition}`);
        if (!w || p.errorCode !== 0) continue;
        const end = endOfBatches(p, w.pos.offset);
        next.set(`${p.topic}:${p.partition}`, { ...w, pos: { ...w.pos, offset: end } });
      }
    }
    if (next.size === wanted.size && !this.#stopping && !this.#needJoin) {
      const responses = this.#fetch(next);
      responses.catch(() => {}); // a failure shows when (if) it is used
      this.#prefetch = { wanted: next, responses };
    }
    for (const res of responses) {
      for (const p of res.partitions) {
        if (this.#stopping || this.#needJoin) return;
        const w = wanted.get(`${p.topic}:${p.partition}`);
        if (w) await this.#deliver(p, w.pos, h);
      }
    }
  }

  async #deliver(p: FetchedPartition, asked: Position, h: ConsumerHandlers): Promise<void> {
    const tp = `${p.topic}:${p.partition}`;
    const current = this.#positions.get(tp);
    if (!current || current.epoch !== asked.epoch || current.offset !== asked.offset) return;
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE.code) {
      const reset = await this.#resetOffsets([{ ...p, offset: -1 }]);
      const now = this.#positions.get(tp);
      if (now && now.epoch === asked.epoch) now.offset = reset.get(tp) ?? now.offset;
      return;
    }
    if (p.errorCode !== 0) {
      if (NOT_LEADER.has(p.errorCode)) this.cluster.refreshMetadata([p.topic]);
      throw new Error(`fetching ${tp}: error code ${p.errorCode}`);
    }
    const probe = partitionRecords(p, asked.offset);
    if (!probe.next()) {
      // Only control records or aborted transactions: move past them.
      if (probe.nextOffset > current.offset) current.offset = probe.nextOffset;
      return;
    }
    const records = partitionRecords(p, asked.offset);
    let resolved = -1;
    let lastData = -1;
    const epoch = asked.epoch;
    const positions = this.#positions;
    const batch: ConsumerBatch = {
      topic: p.topic,
      partition: p.partition,
      highWatermark: p.highWatermark,
      firstOffset: probe.offset,
      records,
      isStale: () => positions.get(tp)?.epoch !== epoch,
      resolveOffset: (offset) => {
        if (offset > resolved) resolved = offset;
      },
    };
    await h.batch(batch);
    lastData = records.offset;
    const now = positions.get(tp);
    if (!now || now.epoch !== epoch || resolved < asked.offset) return;
    // All walked and resolved: past trailing control batches too; else after the last resolved.
    const exhausted = resolved >= lastData && !records.next();
    now.offset = exhausted ? Math.max(records.nextOffset, resolved + 1) : resolved + 1;
  }

  #scheduleHeartbeat(): void {
    this.#heartbeat = setTimeout(async () => {
      if (this.#stopping) return;
      if (!this.#joining && !this.#needJoin && this.group.joined) {
        try {
          if (await this.group.heartbeat() === "rejoin") this.#needJoin = true;
        } catch (e) {
          if (e instanceof GroupError && !e.retriable) {
            this.#fatal = e;
            this.#wake?.();
          }
          // Unreachable coordinator: the fetch loop notices too; the next beat tries again.
        }
      }
      if (!this.#stopping) this.#scheduleHeartbeat();
    }, this.opts.heartbeatIntervalMs);
  }
}

function groupByTopic<T extends { topic: string; partition: number }>(
  parts: T[],
): { topic: string; partitions: Omit<T, "topic">[] }[] {
  const m = new Map<string, Omit<T, "topic">[]>();
  for (const { topic, ...rest } of parts) {
    const list = m.get(topic) ?? [];
    list.push(rest);
    m.set(topic, list);
  }
  return [...m].map(([topic, partitions]) => ({ topic, partitions }));
}
