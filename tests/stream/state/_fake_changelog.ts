import type {
  ChangelogIO,
  ChangelogMessage,
  ChangelogRecord,
} from "../../../lib/stream/state/changelog.ts";

/** An in-memory cluster: topics as arrays of records, committed offsets by "topic:partition". */
export class FakeChangelog implements ChangelogIO {
  readonly topics = new Map<string, ChangelogRecord[][]>();
  readonly committedOffsets = new Map<string, number>();
  sent = 0;

  constructor(readonly sourcePartitions: Record<string, number>) {}

  partitions(topic: string): Promise<number> {
    const n = this.sourcePartitions[topic];
    if (n === undefined) return Promise.reject(new Error(`unknown topic ${topic}`));
    return Promise.resolve(n);
  }

  ensureTopic(name: string, partitions: number): Promise<void> {
    const t = this.topics.get(name);
    if (t && t.length !== partitions) {
      return Promise.reject(
        new Error(`${name} has ${t.length} partitions, expected ${partitions}`),
      );
    }
    if (!t) this.topics.set(name, Array.from({ length: partitions }, () => []));
    return Promise.resolve();
  }

  send(topic: string, partition: number, messages: ChangelogMessage[]): Promise<number> {
    const log = this.topics.get(topic)![partition];
    for (const m of messages) log.push({ ...m, headers: { ...m.headers }, offset: log.length });
    this.sent += messages.length;
    return Promise.resolve(log.length - 1);
  }

  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    return Promise.resolve({ low: 0, high: this.topics.get(topic)?.[partition]?.length ?? 0 });
  }

  async *read(topic: string, partition: number, from: number, to: number) {
    const log = this.topics.get(topic)![partition];
    for (let i = from; i < to; i += 1000) yield log.slice(i, Math.min(to, i + 1000));
  }

  committed(topic: string, partition: number): Promise<number> {
    return Promise.resolve(this.committedOffsets.get(`${topic}:${partition}`) ?? -1);
  }
}
