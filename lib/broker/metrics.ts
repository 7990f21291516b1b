/**
 * The broker's Prometheus endpoint: consumer-group lag under kafka-lag-exporter's metric
 * names, partition watermarks, and traffic counters.
 *
 * Lag in seconds is exact, not interpolated as kafka-lag-exporter does: the broker owns the
 * log, so it is now minus the timestamp of the record at the committed offset (the oldest
 * record the group has not processed), and 0 when the group is caught up.
 *
 * ```ts
 * import { startBroker } from "./mod.ts";
 * const broker = await startBroker({ port: 0, dataDir: "/tmp/sa-broker", metricsPort: 0 });
 * const text = await (await fetch(`http://127.0.0.1:${broker.metricsPort}/metrics`)).text();
 * await broker.close();
 * ```
 *
 * @module
 */
import type { BrokerState } from "./state.ts";
import type { PartitionLog } from "./log/partition_log.ts";
import {
  Attr,
  decodeRecords,
  LOG_OVERHEAD,
  readBatchHeader,
} from "../kafka/protocol/record_batch.ts";
import { PROM_CONTENT_TYPE, PromText } from "../util/prometheus.ts";

/** Batches read past control batches before giving up on finding a data record. */
const MAX_SCAN_READS = 16;

/**
 * Timestamp (ms) of the first data record at or after `offset`, or null when there is none
 * below the high watermark (the group is caught up, or only transaction markers remain).
 */
export function timestampAt(log: PartitionLog, offset: number): number | null {
  let at = Math.max(offset, log.logStartOffset);
  for (let i = 0; i < MAX_SCAN_READS && at < log.highWatermark; i++) {
    const { records } = log.read(at, 1, 0);
    if (records.length < LOG_OVERHEAD) return null;
    let pos = 0;
    while (pos + LOG_OVERHEAD <= records.length) {
      const h = readBatchHeader(records, pos);
      const end = pos + LOG_OVERHEAD + h.batchLength;
      const last = h.baseOffset + h.lastOffsetDelta;
      if (last >= at && (h.attributes & Attr.control) === 0) {
        for (const r of decodeRecords(records.subarray(pos, end), h)) {
          if (r.offset >= at) return r.timestamp;
        }
      }
      at = Math.max(at, last + 1);
      pos = end;
    }
  }
  return null;
}

/** Renders every metric family of the broker at time `now` (ms). */
export function renderBrokerMetrics(state: BrokerState, now: number = Date.now()): string {
  const p = new PromText();
  const cluster = state.config.clusterId;
  const logs = state.logs;

  const latest = p.family(
    "kafka_partition_latest_offset",
    "gauge",
    "Latest offset (high watermark) of a partition.",
  );
  const earliest = p.family(
    "kafka_partition_earliest_offset",
    "gauge",
    "Earliest retained offset of a partition.",
  );
  const topics = logs.listTopics().sort((a, b) => a.name.localeCompare(b.name));
  for (const t of topics) {
    for (let i = 0; i < t.partitions; i++) {
      const log = logs.partition(t.name, i);
      if (!log) continue;
      const labels = { cluster_name: cluster, topic: t.name, partition: i };
      latest.sample(labels, log.highWatermark);
      earliest.sample(labels, log.logStartOffset);
    }
  }

  const offset = p.family(
    "kafka_consumergroup_group_offset",
    "gauge",
    "Last committed offset of a consumer group for a partition.",
  );
  const lag = p.family(
    "kafka_consumergroup_group_lag",
    "gauge",
    "Messages between the committed offset and the latest offset.",
  );
  const lagSeconds = p.family(
    "kafka_consumergroup_group_lag_seconds",
    "gauge",
    "Age of the oldest unprocessed message: now minus the timestamp of the record at the " +
      "committed offset (0 when caught up). Exact, read from the log.",
  );
  const groupRows: {
    group: string;
    maxLag: number;
    maxLagSeconds: number;
    sumLag: number;
    byTopic: Map<string, number>;
  }[] = [];
  const groups = state.groups.list().map((g) => g.groupId).sort();
  for (const group of groups) {
    const committed = state.groups.fetchOffsets(group, null)
      .filter((c) => c.offset >= 0)
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    if (committed.length === 0) continue;
    const row = { group, maxLag: 0, maxLagSeconds: 0, sumLag: 0, byTopic: new Map() };
    for (const c of committed) {
      const log = logs.partition(c.topic, c.partition);
      if (!log) continue; // the topic was deleted since the commit
      const labels = { cluster_name: cluster, group, topic: c.topic, partition: c.partition };
      const behind = Math.max(0, log.highWatermark - c.offset);
      let seconds = 0;
      if (behind > 0) {
        const ts = timestampAt(log, c.offset);
        if (ts !== null) seconds = Math.max(0, now - ts) / 1000;
      }
      offset.sample(labels, c.offset);
      lag.sample(labels, behind);
      lagSeconds.sample(labels, seconds);
      row.maxLag = Math.max(row.maxLag, behind);
      row.maxLagSeconds = Math.max(row.maxLagSeconds, seconds);
      row.sumLag += behind;
      row.byTopic.set(c.topic, (row.byTopic.get(c.topic) ?? 0) + behind);
    }
    groupRows.push(row);
  }
  const maxLag = p.family(
    "kafka_consumergroup_group_max_lag",
    "gauge",
    "Largest partition lag of a group.",
  );
  const maxLagSeconds = p.family(
    "kafka_consumergroup_group_max_lag_seconds",
    "gauge",
    "Largest partition lag in seconds of a group.",
  );
  const sumLag = p.family("kafka_consumergroup_group_sum_lag", "gauge", "Total lag of a group.");
  const topicSumLag = p.family(
    "kafka_consumergroup_group_topic_sum_lag",
    "gauge",
    "Total lag of a group on one topic.",
  );
  for (const r of groupRows) {
    const labels = { cluster_name: cluster, group: r.group };
    maxLag.sample(labels, r.maxLag);
    maxLagSeconds.sample(labels, r.maxLagSeconds);
    sumLag.sample(labels, r.sumLag);
    for (const [topic, n] of r.byTopic) topicSumLag.sample({ ...labels, topic }, n);
  }

  const s = state.stats;
  const node = { cluster_name: cluster };
  p.family("sa_broker_bytes_in_total", "counter", "Record-batch bytes appended by Produce.")
    .sample(node, s.bytesIn);
  p.family("sa_broker_messages_in_total", "counter", "Records appended by Produce.")
    .sample(node, s.messagesIn);
  p.family("sa_broker_bytes_out_total", "counter", "Record-batch bytes served by Fetch.")
    .sample(node, s.bytesOut);
  p.family(
    "sa_broker_messages_out_total",
    "counter",
    "Data records in the batches served by Fetch (a batch is counted whole).",
  ).sample(node, s.messagesOut);
  p.family("sa_broker_connections_total", "counter", "Client connections accepted.")
    .sample(node, s.connectionsTotal);
  p.family("sa_broker_connections", "gauge", "Client connections open now.")
    .sample(node, s.connectionsOpen);
  return p.text();
}

/** Thrown when the `/metrics` server cannot bind its address. */
export class MetricsBindError extends Error {
  constructor(readonly address: string, cause: unknown) {
    super(`cannot serve metrics on ${address}: ${(cause as Error).message ?? cause}`, { cause });
    this.name = "MetricsBindError";
  }
}

/** A running `/metrics` HTTP server. */
export interface MetricsServer {
  /** The port actually bound. */
  readonly port: number;
  /** Stops serving. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (anything else is 404) on `host:port` (port 0 picks a free one).
 * Bound to loopback by default: the numbers name every topic and group.
 */
export function serveBrokerMetrics(
  state: BrokerState,
  opts: { host?: string; port: number },
): MetricsServer {
  const host = opts.host ?? "127.0.0.1";
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({ hostname: host, port: opts.port, onListen: () => {} }, handle);
  } catch (e) {
    throw new MetricsBindError(`${host}:${opts.port}`, e);
  }
  function handle(req: Request): Response {
    const url = new URL(req.url);
    if (url.pathname !== "/metrics") return new Response("not found\n", { status: 404 });
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("method not allowed\n", { status: 405, headers: { allow: "GET" } });
    }
    try {
      return new Response(renderBrokerMetrics(state), {
        headers: { "content-type": PROM_CONTENT_TYPE },
      });
    } catch (e) {
      state.logger.error(`/metrics failed: ${(e as Error).message}`);
      return new Response(`metrics failed: ${(e as Error).message}\n`, { status: 500 });
    }
  }
  return {
    port: server.addr.port,
    async close() {
      await server.shutdown();
    },
  };
}
