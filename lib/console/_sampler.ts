/**
 * Samples the broker every few seconds: end offsets of every topic (messages in), committed
 * offsets of every group (messages out), and group membership. From that it gives rates with
 * a short history for the sparklines, and the window of (committed, end) samples that the
 * Burrow-style lag status is judged on (the rules of `sa lag`, lib/cli/_lag_eval.ts), and a
 * bounded history of each group's total lag (one point a sample, the last hour), so the lag
 * chart has a past when a page opens.
 *
 * @module
 */
import type { ConsoleContext } from "./_context.ts";
import type { LagSample } from "../cli/_lag_eval.ts";
import { PointRing } from "./_ring.ts";

/** One point of the rate history. */
export interface RatePoint {
  /** Epoch ms. */
  t: number;
  /** Messages written per second over the interval. */
  in: number;
  /** Messages consumed (committed) per second over the interval, all groups. */
  out: number;
}

/** One point of a group's lag history. */
export interface LagPoint {
  /** Epoch ms. */
  t: number;
  /** Messages behind, summed over the group's committed partitions. */
  lag: number;
}

const HISTORY = 60;
const WINDOW = 10;
/** How far back a group's lag history goes. */
export const LAG_HISTORY_MS = 3_600_000;

/** The sampler; {@link start} it, {@link stop} it. */
export class Sampler {
  #timer: ReturnType<typeof setInterval> | undefined;
  #last: { t: number; ends: Map<string, number>; committed: Map<string, number> } | undefined;
  #topicRates = new Map<string, number>();
  #topicOutRates = new Map<string, number>();
  #windows = new Map<string, LagSample[]>(); // "group\0topic\0partition"
  #lagHistory = new Map<string, PointRing>(); // by group
  #running = false;
  #inflight: Promise<void> = Promise.resolve();
  /** Rates, oldest first, at most 60 points. */
  readonly history: RatePoint[] = [];
  /** Members per group at the last sample. */
  readonly members = new Map<string, number>();

  constructor(readonly ctx: ConsoleContext, readonly intervalMs = 2000) {}

  /** Starts sampling now and every interval. */
  start(): void {
    const tick = async () => {
      if (this.#running) return;
      this.#running = true;
      try {
        await this.sample();
      } catch {
        // ctx.run marked the broker down; the next tick tries again.
      } finally {
        this.#running = false;
      }
    };
    this.#inflight = tick();
    this.#timer = setInterval(() => (this.#inflight = tick()), this.intervalMs);
  }

  /** Resolves when no timed sample is in flight (tests take their own samples after it). */
  idle(): Promise<void> {
    return this.#inflight;
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** Takes one sample (exported for tests). */
  async sample(now = Date.now()): Promise<void> {
    const { ends, committed, members } = await this.ctx.run(async (admin, reader) => {
      const topics = (await admin.listTopics()).filter((t) => !t.startsWith("__"));
      const ranges = await reader.ranges(topics);
      const ends = new Map<string, number>();
      for (const [t, ps] of ranges) {
        for (const p of ps) ends.set(`${t}\0${p.partition}`, p.high);
      }
      const ids = (await admin.listGroups()).groups.map((g) => g.groupId);
      const members = new Map<string, number>();
      if (ids.length) {
        for (const g of (await admin.describeGroups(ids)).groups) {
          members.set(g.groupId, g.state === "Empty" || g.state === "Dead" ? 0 : g.members.length);
        }
      }
      const committed = new Map<string, number>();
      for (const id of ids) {
        for (const t of await admin.fetchOffsets({ groupId: id })) {
          for (const p of t.partitions) {
            if (Number(p.offset) >= 0) {
              committed.set(`${id}\0${t.topic}\0${p.partition}`, Number(p.offset));
            }
          }
        }
      }
      return { ends, committed, members };
    });
    this.members.clear();
    for (const [g, n] of members) this.members.set(g, n);
    for (const [k, c] of committed) {
      const [, topic, partition] = k.split("\0");
      const w = this.#windows.get(k) ?? [];
      w.push({ committed: c, end: ends.get(`${topic}\0${partition}`) ?? c });
      if (w.length > WINDOW) w.shift();
      this.#windows.set(k, w);
    }
    for (const k of [...this.#windows.keys()]) if (!committed.has(k)) this.#windows.delete(k);
    this.#recordLag(now, ends, committed);
    const last = this.#last;
    if (last) {
      const dt = Math.max(0.001, (now - last.t) / 1000);
      let inSum = 0;
      const perTopic = new Map<string, number>();
      for (const [k, high] of ends) {
        const d = Math.max(0, high - (last.ends.get(k) ?? high));
        inSum += d;
        const topic = k.slice(0, k.indexOf("\0"));
        perTopic.set(topic, (perTopic.get(topic) ?? 0) + d);
      }
      let outSum = 0;
      const outPerTopic = new Map<string, number>();
      for (const [k, c] of committed) {
        const d = Math.max(0, c - (last.committed.get(k) ?? c));
        outSum += d;
        const topic = k.split("\0")[1];
        outPerTopic.set(topic, (outPerTopic.get(topic) ?? 0) + d);
      }
      this.#topicRates = new Map([...perTopic].map(([t, d]) => [t, d / dt]));
      this.#topicOutRates = new Map([...outPerTopic].map(([t, d]) => [t, d / dt]));
      this.history.push({ t: now, in: inSum / dt, out: outSum / dt });
      if (this.history.length > HISTORY) this.history.shift();
    }
    this.#last = { t: now, ends, committed };
  }

  #recordLag(now: number, ends: Map<string, number>, committed: Map<string, number>): void {
    const lag = new Map<string, number>();
    for (const [k, c] of committed) {
      const [group, topic, partition] = k.split("\0");
      const end = ends.get(`${topic}\0${partition}`) ?? c;
      lag.set(group, (lag.get(group) ?? 0) + Math.max(0, end - c));
    }
    // Room for one point per interval over the window: ~29 KB a group at the 2 s default.
    const cap = Math.ceil(LAG_HISTORY_MS / this.intervalMs) + 1;
    for (const [group, n] of lag) {
      let ring = this.#lagHistory.get(group);
      if (!ring) this.#lagHistory.set(group, ring = new PointRing(cap));
      ring.push(now, n);
      ring.dropBefore(now - LAG_HISTORY_MS);
    }
    for (const [group, ring] of this.#lagHistory) {
      if (!lag.has(group) && ring.last < now - LAG_HISTORY_MS) this.#lagHistory.delete(group);
    }
  }

  /** A group's total lag over the last hour after time `after`, oldest first. */
  lagHistory(group: string, after = -Infinity): LagPoint[] {
    return (this.#lagHistory.get(group)?.points(after) ?? []).map((p) => ({ t: p.t, lag: p.v }));
  }

  /** Messages per second written to a topic (null before two samples). */
  topicRate(topic: string): number | null {
    return this.#last && this.history.length ? this.#topicRates.get(topic) ?? 0 : null;
  }

  /**
   * Messages per second consumed from a topic: its committed offsets' advance, summed over
   * every group reading it (null before two samples).
   */
  topicOutRate(topic: string): number | null {
    return this.#last && this.history.length ? this.#topicOutRates.get(topic) ?? 0 : null;
  }

  /** The window of samples of one group's partition, oldest first. */
  window(group: string, topic: string, partition: number): LagSample[] {
    return this.#windows.get(`${group}\0${topic}\0${partition}`) ?? [];
  }
}
