/**
 * An app's `/metrics`: messages processed (total and per second over the last 10 s), lag per
 * input partition, checkpoint durations, state size on disk, view sizes and push sessions.
 *
 * @module
 */
import { join } from "node:path";
import { PromText } from "../util/prometheus.ts";
import type { RunObserver } from "../stream/observe.ts";
import type { View } from "../stream/views/view.ts";
import type { SessionStats } from "./topic_stream.ts";

/** Seconds the per-second rate averages over. */
const RATE_WINDOW_S = 10;

interface PartitionStats {
  processed: number;
  lastOffset: number;
  highWatermark: number;
}

/** Collects what the runtime reports, and renders it. */
export class AppMetrics implements RunObserver {
  readonly #parts = new Map<string, PartitionStats & { topic: string; partition: number }>();
  /** Messages per whole second (epoch seconds → count), the last RATE_WINDOW_S + 1 seconds. */
  readonly #buckets = new Map<number, number>();
  #checkpoints = 0;
  #checkpointFailures = 0;
  #checkpointSeconds = 0;
  #lastCheckpointSeconds = 0;

  constructor(
    readonly group: string,
    /** The app's state directory for this group (its size is reported), if any. */
    readonly stateDir: string | undefined,
    readonly views: () => Iterable<View>,
    readonly sessions: () => SessionStats[],
  ) {}

  processed(topic: string, partition: number, last: number, count: number, hwm: number): void {
    const k = `${topic}:${partition}`;
    let s = this.#parts.get(k);
    if (!s) {
      this.#parts.set(k, s = { topic, partition, processed: 0, lastOffset: -1, highWatermark: 0 });
    }
    s.processed += count;
    s.lastOffset = last;
    s.highWatermark = Math.max(s.highWatermark, hwm);
    const sec = Math.floor(Date.now() / 1000);
    this.#buckets.set(sec, (this.#buckets.get(sec) ?? 0) + count);
    if (this.#buckets.size > RATE_WINDOW_S + 2) {
      for (const b of this.#buckets.keys()) if (b < sec - RATE_WINDOW_S) this.#buckets.delete(b);
    }
  }

  checkpointed(ms: number, ok: boolean): void {
    if (!ok) {
      this.#checkpointFailures++;
      return;
    }
    this.#checkpoints++;
    this.#checkpointSeconds += ms / 1000;
    this.#lastCheckpointSeconds = ms / 1000;
  }

  revoked(tps: string[]): void {
    for (const tp of tps) this.#parts.delete(tp);
  }

  /** Messages per second over the last RATE_WINDOW_S whole seconds. */
  rate(now = Date.now()): number {
    const sec = Math.floor(now / 1000);
    let n = 0;
    for (const [b, c] of this.#buckets) if (b >= sec - RATE_WINDOW_S && b < sec) n += c;
    return n / RATE_WINDOW_S;
  }

  /** The exposition text. */
  async render(): Promise<string> {
    const p = new PromText();
    const g = { group: this.group };
    const parts = [...this.#parts.values()].sort((a, b) =>
      a.topic.localeCompare(b.topic) || a.partition - b.partition
    );
    const total = p.family(
      "sa_app_messages_processed_total",
      "counter",
      "Input messages that went through the pipeline.",
    );
    for (const s of parts) {
      total.sample({ ...g, topic: s.topic, partition: s.partition }, s.processed);
    }
    p.family(
      "sa_app_messages_per_second",
      "gauge",
      `Input messages processed per second, averaged over the last ${RATE_WINDOW_S} s.`,
    ).sample(g, this.rate());
    const lag = p.family(
      "sa_app_partition_lag",
      "gauge",
      "Messages of an assigned input partition not processed yet (high watermark of the last " +
        "fetch minus the next offset).",
    );
    for (const s of parts) {
      lag.sample(
        { ...g, topic: s.topic, partition: s.partition },
        Math.max(0, s.highWatermark - s.lastOffset - 1),
      );
    }
    p.family("sa_app_checkpoint_duration_seconds", "summary", "Duration of successful checkpoints.")
      .sample(g, this.#checkpointSeconds, "_sum")
      .sample(g, this.#checkpoints, "_count");
    p.family("sa_app_checkpoint_last_duration_seconds", "gauge", "Duration of the last checkpoint.")
      .sample(g, this.#lastCheckpointSeconds);
    p.family("sa_app_checkpoint_failures_total", "counter", "Checkpoints that failed.")
      .sample(g, this.#checkpointFailures);
    p.family("sa_app_state_bytes", "gauge", "Bytes of the app's durable state on disk.")
      .sample(g, this.stateDir ? await dirBytes(this.stateDir) : 0);
    const views = [...this.views()];
    const vk = p.family("sa_app_view_keys", "gauge", "Keys held by an in-memory view.");
    for (const v of views) vk.sample({ ...g, view: v.name }, v.size);
    const vc = p.family("sa_app_view_changes_total", "counter", "Changes applied to a view.");
    for (const v of views) vc.sample({ ...g, view: v.name }, v.changes);
    const sessions = this.sessions();
    const ss = p.family("sa_app_push_sessions", "gauge", "Open WebSocket/SSE topic sessions.");
    for (const t of ["websocket", "sse"]) {
      ss.sample({ ...g, transport: t }, sessions.filter((s) => s.transport === t).length);
    }
    return p.text();
  }
}

/** Total size of the files under `dir` (0 when it does not exist). */
async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  try {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) total += await dirBytes(path);
      else if (e.isFile) total += (await Deno.stat(path)).size;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return total;
}
