/**
 * Finds which instance of an app owns a view key, so a read of a key held elsewhere is
 * proxied there.
 *
 * How instances find each other: through the consumer group itself. Each instance puts its
 * advertised URL in its group member metadata (the assigner's user data, as Kafka Streams
 * does with `application.server`); DescribeGroups then gives every member's URL and assigned
 * partitions. A key's partition is the one the producer chose: kafkajs's default partitioner
 * (murmur2 of the key bytes, as Java's), over the view topic's partition count. Keys are taken
 * as UTF-8 strings (the default string key format).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type Admin, AssignerProtocol, Partitioners } from "kafkajs";
import type { Application } from "../stream/application.ts";
import { createKafka } from "../stream/kafka/_kafka.ts";
import type { RunObserver } from "../stream/observe.ts";
import type { View } from "../stream/views/view.ts";
import type { KeyRouter } from "./views_http.ts";

/** How long a DescribeGroups answer is reused. */
const MEMBERS_TTL_MS = 1000;

/** Thrown when no live member owns the key's partition (e.g. during a rebalance). */
export class OwnerUnknownError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OwnerUnknownError";
  }
}

/** Routes keys by partition ownership within the app's consumer group. */
export class GroupKeyRouter implements KeyRouter, RunObserver {
  readonly #assigned = new Set<string>();
  readonly #partitionCount = new Map<string, number>();
  readonly #partitioner = Partitioners.DefaultPartitioner();
  #admin: Admin | null = null;
  #members: { at: number; owners: Map<string, string> } | null = null;

  constructor(
    readonly app: Application,
    readonly brokers: string[],
    /** This instance's URL, advertised to the group. */
    readonly advertisedUrl: string,
    readonly views: ReadonlyMap<string, View>,
  ) {
    app.observers.advertisedUrl = advertisedUrl;
  }

  assigned(tps: string[]): void {
    for (const tp of tps) this.#assigned.add(tp);
    this.#members = null;
  }

  revoked(tps: string[]): void {
    for (const tp of tps) this.#assigned.delete(tp);
    this.#members = null;
  }

  async #adminClient(): Promise<Admin> {
    if (!this.#admin) {
      const admin = createKafka(
        this.brokers.join(","),
        `sa-views-${this.app.consumerGroup}`,
        this.app.logger,
      )
        .admin();
      await admin.connect();
      this.#admin = admin;
    }
    return this.#admin;
  }

  /** The partition of `key` in `topic`, as the default partitioner chose it. */
  async partitionOf(topic: string, key: string): Promise<number> {
    let n = this.#partitionCount.get(topic);
    if (n === undefined) {
      const md = await (await this.#adminClient()).fetchTopicMetadata({ topics: [topic] });
      n = md.topics[0].partitions.length;
      this.#partitionCount.set(topic, n);
    }
    const partitionMetadata = Array.from({ length: n }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    return this.#partitioner({
      topic,
      partitionMetadata,
      message: { key: Buffer.from(key), value: null },
    });
  }

  /** "topic:partition" → advertised URL of its owner, from DescribeGroups (cached 1 s). */
  async #owners(): Promise<Map<string, string>> {
    if (this.#members && Date.now() - this.#members.at < MEMBERS_TTL_MS) {
      return this.#members.owners;
    }
    const { groups } = await (await this.#adminClient()).describeGroups([this.app.consumerGroup]);
    const owners = new Map<string, string>();
    for (const m of groups[0]?.members ?? []) {
      const meta = AssignerProtocol.MemberMetadata.decode(m.memberMetadata);
      const url = meta?.userData?.toString() ?? "";
      if (!url || m.memberAssignment.length === 0) continue;
      const a = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      for (const [topic, parts] of Object.entries(a?.assignment ?? {})) {
        for (const p of parts) owners.set(`${topic}:${p}`, url);
      }
    }
    this.#members = { at: Date.now(), owners };
    return owners;
  }

  async ownerOf(view: View, key: string): Promise<string | null> {
    if (view.get(key) !== undefined) return null;
    const p = await this.partitionOf(view.topic, key);
    const tp = `${view.topic}:${p}`;
    if (this.#assigned.has(tp)) return null;
    const url = (await this.#owners()).get(tp);
    if (url === this.advertisedUrl) return null;
    if (!url) {
      throw new OwnerUnknownError(
        `partition ${p} of ${view.topic} (key "${key}") has no owner in group ` +
          `${this.app.consumerGroup} right now (rebalancing, or no instance advertises a URL)`,
      );
    }
    return url;
  }

  async close(): Promise<void> {
    await this.#admin?.disconnect().catch(() => {});
    this.#admin = null;
  }
}
