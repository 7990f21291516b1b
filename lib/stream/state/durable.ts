/**
 * The durable state backend: one local store per (store, topic, partition) under
 * `<stateDir>/<group>/<store>/<topic>/<partition>/`, writes batched per checkpoint, and
 * (optionally) a compacted changelog topic per store from which a partition's store is
 * recovered when it is assigned: after a crash, on another machine, or after the state dir
 * was deleted or corrupted.
 *
 * Checkpoint order (the runtime drives it): sinks flush → {@link prepareCheckpoint} (changes
 * produced to the changelogs and acknowledged) → producer flush → offset commit →
 * {@link flush} (one local transaction per store partition, with the changelog offset).
 *
 * @module
 */

import { Logger } from "../../util/log.ts";
import {
  type ChangelogIO,
  type ChangelogMessage,
  changelogTopicName,
  COLUMN_FAMILY_HEADER,
  PROCESSED_OFFSETS_HEADER,
} from "./changelog.ts";
import type { Change, DurableStoreFactory, DurableStorePartition } from "./durable_store.ts";
import { SqliteStorePartition } from "./sqlite_store.ts";
import { KafkaChangelog } from "./kafka_changelog.ts";
import type { StateBackend, StateBackendEnv } from "./types.ts";
import type { Admin, Producer } from "kafkajs";

/** Options of {@link DurableStateBackend}. */
export interface DurableStateBackendOptions {
  /** Root directory of all state (default `state`). */
  stateDir: string;
  /** Consumer group: state lives under `<stateDir>/<group>/` and names changelog topics. */
  group: string;
  /** Changelog I/O; without it stores are local only (no recovery on another machine). */
  changelog?: ChangelogIO;
  /** With {@link DurableStateBackend.start}: back stores with Kafka changelogs (default true). */
  useChangelogTopics?: boolean;
  /** Local store implementation (default: sqlite). */
  factory?: DurableStoreFactory;
  logger?: Logger;
  /** Records applied per local recovery transaction. */
  recoveryBatch?: number;
}

interface Open {
  store: DurableStorePartition;
  storeName: string;
  topic: string;
  partition: number;
  changelog?: string;
  /** Offset of the last changelog record produced for the pending changes. */
  producedOffset?: number;
}

/** Figures of the last recoveries, for logs and the benchmark. */
export interface RecoveryStats {
  records: number;
  skipped: number;
  ms: number;
}

const sanitize = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");

/** `<stateDir>/<group>`: where a consumer group's local state lives. */
export function groupStateDir(stateDir: string, group: string): string {
  return `${stateDir}/${sanitize(group)}`;
}

/** A {@link StateBackend} with durable local stores and changelog-based recovery. */
export class DurableStateBackend implements StateBackend {
  readonly #opts: DurableStateBackendOptions;
  readonly #factory: DurableStoreFactory;
  readonly #log: Logger;
  /** Store names by source topic. */
  readonly #registered = new Map<string, Set<string>>();
  readonly #open = new Map<string, Open>();
  readonly #assigned = new Set<string>();
  #ready = false;
  #changelog?: ChangelogIO;
  #admin?: Admin;
  /** Totals of recoveries run so far. */
  readonly recovery: RecoveryStats = { records: 0, skipped: 0, ms: 0 };

  constructor(opts: DurableStateBackendOptions) {
    if (!opts.group) throw new Error("state: a consumer group is required to place state");
    this.#opts = opts;
    this.#changelog = opts.changelog;
    this.#factory = opts.factory ?? ((dir) => new SqliteStorePartition(dir));
    this.#log = opts.logger ?? new Logger("state");
  }

  /** The group's state directory. */
  get groupDir(): string {
    return groupStateDir(this.#opts.stateDir, this.#opts.group);
  }

  /** Declares a store of a source topic; call before the first assignment. */
  registerStore(topic: string, storeName: string): void {
    let names = this.#registered.get(topic);
    if (!names) this.#registered.set(topic, names = new Set());
    if (!names.has(storeName)) {
      names.add(storeName);
      this.#ready = false;
    }
  }

  /**
   * Connects the backend to the run: registers the dataframes' stores and, with changelogs
   * on, creates the changelog topics through a kafkajs admin client.
   */
  async start(env: StateBackendEnv): Promise<void> {
    for (const [topic, names] of env.stores) for (const n of names) this.registerStore(topic, n);
    if (!this.#changelog && this.#opts.useChangelogTopics !== false && this.#registered.size) {
      const admin = env.kafka.admin() as Admin;
      const producer = env.producer as unknown as Producer;
      await admin.connect();
      this.#admin = admin;
      this.#changelog = new KafkaChangelog({
        brokers: [...env.brokers],
        security: env.security,
        admin,
        group: this.#opts.group,
        produce: (topic, messages) => producer.send({ topic, messages, acks: -1 }),
      });
    }
    await this.setup();
    const topics = this.changelogTopics();
    if (this.#changelog && topics.length) {
      this.#log.info(`state in ${this.groupDir}, changelog topics: ${topics.join(", ")}`);
    }
  }

  /** Changelog topic names that {@link setup} creates (for users without create ACLs). */
  changelogTopics(): string[] {
    const out: string[] = [];
    for (const [topic, names] of this.#registered) {
      for (const n of names) out.push(changelogTopicName(this.#opts.group, topic, n));
    }
    return out;
  }

  /** Creates the changelog topics (compacted, source partition count). */
  async setup(): Promise<void> {
    const io = this.#changelog;
    if (this.#ready) return;
    if (io) {
      for (const [topic, names] of this.#registered) {
        const partitions = await io.partitions(topic);
        for (const n of names) {
          const name = changelogTopicName(this.#opts.group, topic, n);
          await io.ensureTopic(name, partitions);
          this.#log.debug(`changelog topic ${name} (${partitions} partitions) ready`);
        }
      }
    }
    this.#ready = true;
  }

  #dir(storeName: string, topic: string, partition: number): string {
    return `${this.groupDir}/${sanitize(storeName)}/${sanitize(topic)}/${partition}`;
  }

  #openStore(storeName: string, topic: string, partition: number): DurableStorePartition {
    const dir = this.#dir(storeName, topic, partition);
    try {
      return this.#factory(dir);
    } catch (e) {
      if (
        e instanceof Deno.errors.PermissionDenied || /permission|access denied/i.test(String(e))
      ) {
        throw new Error(
          `state store ${storeName} ${topic}[${partition}]: cannot write ${dir} (${
            (e as Error).message
          }); set the app's stateDir to a writable folder (sa run and sa up grant .sa/state/<name>)`,
          { cause: e },
        );
      }
      const how = this.#changelog ? "rebuilding it from the changelog" : "starting it empty";
      this.#log.warn(
        `state store ${storeName} ${topic}[${partition}] is unusable (${
          (e as Error).message
        }); ${how}`,
      );
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch (r) {
        if (!(r instanceof Deno.errors.NotFound)) {
          throw this.#unusable(storeName, topic, partition, dir, r);
        }
      }
      try {
        return this.#factory(dir);
      } catch (again) {
        throw this.#unusable(storeName, topic, partition, dir, again);
      }
    }
  }

  #unusable(store: string, topic: string, partition: number, dir: string, e: unknown): Error {
    return new Error(
      `state store ${store} ${topic}[${partition}]: cannot open ${dir}: ${(e as Error).message}`,
      { cause: e },
    );
  }

  async assign(topic: string, partition: number): Promise<void> {
    await this.setup();
    const tp = `${topic}:${partition}`;
    this.#assigned.add(tp);
    for (const name of this.#registered.get(topic) ?? []) {
      const id = `${name}\u0000${tp}`;
      if (this.#open.has(id)) continue;
      const store = this.#openStore(name, topic, partition);
      const open: Open = { store, storeName: name, topic, partition };
      if (this.#changelog) {
        open.changelog = changelogTopicName(this.#opts.group, topic, name);
        await this.#recover(open);
      }
      this.#open.set(id, open);
    }
  }

  /** Catches the store up with its changelog, skipping changes from uncommitted input. */
  async #recover(o: Open): Promise<void> {
    const io = this.#changelog!;
    const cl = o.changelog!;
    const { low, high } = await io.watermarks(cl, o.partition);
    const from = Math.max(low, o.store.changelogOffset + 1);
    if (high <= from) return;
    const committed = await io.committed(o.topic, o.partition);
    const total = high - from;
    const label = `${o.storeName} ${o.topic}[${o.partition}] from ${cl}[${o.partition}]`;
    this.#log.info(
      `Recovery started for ${label}: ${total} records (offsets ${from}..${high - 1})`,
    );
    const t0 = performance.now();
    const batchSize = this.#opts.recoveryBatch ?? 50_000;
    // Changes in changelog order, applied in order (a repeated key's last change wins in
    // sqlite). Deduplicating by key in JS made the common case (mostly distinct keys, as
    // after compaction) ~1.4x slower; it only paid with heavy repeats (bench:state
    // --only recovery [--recovery-keys 100]), where recovery is fast either way.
    let batch: Change[] = [];
    let done = 0;
    let skipped = 0;
    let lastOffset = from - 1;
    let lastLog = t0;
    let lastHeaders: Record<string, string> | undefined;
    let lastHeader: string | undefined;
    let lastAt: number | undefined;
    for await (const records of io.read(cl, o.partition, from, high)) {
      for (const r of records) {
        lastOffset = r.offset;
        done++;
        // One checkpoint's records share the header (the fetch reader even shares the
        // object): parse each distinct one once.
        if (r.headers !== lastHeaders) {
          lastHeaders = r.headers;
          const processed = r.headers[PROCESSED_OFFSETS_HEADER];
          if (processed !== lastHeader) {
            lastHeader = processed;
            lastAt = processed === undefined
              ? undefined
              : (JSON.parse(processed) as Record<string, number>)[o.topic];
          }
        }
        if (lastAt !== undefined && lastAt >= committed) {
          skipped++;
          continue;
        }
        batch.push(r);
      }
      if (batch.length >= batchSize) {
        o.store.applyRecovered(batch, lastOffset);
        batch = [];
      }
      const now = performance.now();
      if (now - lastLog > 1000) {
        lastLog = now;
        this.#log.info(`Recovery progress for ${label}: ${done} / ${total}`);
      }
    }
    o.store.applyRecovered(batch, lastOffset);
    const ms = performance.now() - t0;
    this.recovery.records += done;
    this.recovery.skipped += skipped;
    this.recovery.ms += ms;
    this.#log.info(
      `Recovery done for ${label}: ${done} records (${skipped} from uncommitted input skipped) ` +
        `in ${ms.toFixed(0)} ms`,
    );
  }

  revoke(topic: string, partition: number): Promise<void> {
    const tp = `${topic}:${partition}`;
    this.#assigned.delete(tp);
    for (const [id, o] of this.#open) {
      if (o.topic === topic && o.partition === partition) {
        o.store.discard();
        o.store.close();
        this.#open.delete(id);
      }
    }
    return Promise.resolve();
  }

  store(storeName: string, topic: string, partition: number): DurableStorePartition {
    const tp = `${topic}:${partition}`;
    const id = `${storeName}\u0000${tp}`;
    const open = this.#open.get(id);
    if (open) return open.store;
    if (!this.#assigned.has(tp)) {
      throw new Error(`state store "${storeName}": partition ${tp} is not assigned`);
    }
    if (this.#changelog && !this.#registered.get(topic)?.has(storeName)) {
      throw new Error(
        `state store "${storeName}" of topic "${topic}" was not registered before assignment, ` +
          `so it has no changelog`,
      );
    }
    const o: Open = {
      store: this.#openStore(storeName, topic, partition),
      storeName,
      topic,
      partition,
    };
    this.#open.set(id, o);
    return o.store;
  }

  /**
   * Produces every pending change to its changelog and waits for the acks. `processed` maps
   * "topic:partition" to the next offset to consume (what will be committed).
   */
  async prepareCheckpoint(processed?: Map<string, number>): Promise<void> {
    const io = this.#changelog;
    if (!io) return;
    const sends: Promise<void>[] = [];
    for (const o of this.#open.values()) {
      if (o.store.pendingCount === 0) continue;
      const next = processed?.get(`${o.topic}:${o.partition}`);
      const headers: Record<string, string> = { [COLUMN_FAMILY_HEADER]: "default" };
      if (next !== undefined) {
        headers[PROCESSED_OFFSETS_HEADER] = JSON.stringify({ [o.topic]: next - 1 });
      }
      const messages: ChangelogMessage[] = [];
      for (const c of o.store.pending()) messages.push({ key: c.key, value: c.value, headers });
      sends.push(
        io.send(o.changelog!, o.partition, messages).then((offset) => {
          o.producedOffset = offset;
        }),
      );
    }
    await Promise.all(sends);
  }

  flush(_committed: Map<string, number>): Promise<void> {
    for (const o of this.#open.values()) {
      o.store.flush(o.producedOffset);
      o.producedOffset = undefined;
    }
    return Promise.resolve();
  }

  /** Drops pending changes of every store (an aborted checkpoint). */
  discard(): void {
    for (const o of this.#open.values()) {
      o.store.discard();
      o.producedOffset = undefined;
    }
  }

  async close(): Promise<void> {
    for (const o of this.#open.values()) o.store.close();
    this.#open.clear();
    this.#assigned.clear();
    if (this.#admin) {
      const admin = this.#admin;
      this.#admin = undefined;
      this.#changelog = this.#opts.changelog;
      this.#ready = false;
      await admin.disconnect().catch(() => {});
    }
  }

  /** Deletes all local state of the group (`app.clearState()`); stores must be closed. */
  async clear(): Promise<void> {
    if (this.#open.size) throw new Error("state: clearState() while partitions are assigned");
    await clearGroupDir(this.groupDir);
  }
}

/**
 * Deletes a consumer group's local state dir (`clearState()`, `sa reset --clear-state`).
 * Nothing to delete is not an error.
 */
export async function clearGroupDir(groupDir: string): Promise<void> {
  await Deno.remove(groupDir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
}
