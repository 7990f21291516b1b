/**
 * Metadata (key 3) v8: brokers, cluster id, controller, and per topic its partitions with
 * leader, leader epoch and replicas. v8 is the highest non-flexible version; every broker
 * since Kafka 2.3 (and Redpanda) serves it.
 *
 * @module
 */
import type { Reader, Writer } from "../../protocol/codec.ts";

/** API key and the one version sent. */
export const METADATA = { key: 3, version: 8 } as const;

/** One broker as advertised. */
export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
  /** `host:port` (IPv6 hosts in brackets), as the client dials it. */
  address: string;
}

/** One partition's state. */
export interface PartitionMetadata {
  partition: number;
  errorCode: number;
  /** Node id of the leader; -1 when there is none. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

/** One topic's state; `partitions` sorted by partition number. */
export interface TopicMetadata {
  name: string;
  errorCode: number;
  isInternal: boolean;
  partitions: PartitionMetadata[];
}

/** A decoded Metadata response. */
export interface MetadataResponse {
  brokers: BrokerInfo[];
  clusterId: string | null;
  controllerId: number;
  topics: TopicMetadata[];
}

/** Request body: `topics` null means every topic. */
export function encodeMetadataRequest(
  w: Writer,
  topics: readonly string[] | null,
  allowAutoTopicCreation: boolean,
): void {
  w.nullableArray(topics, (w, t) => void w.string(t));
  w.bool(allowAutoTopicCreation);
  w.bool(false); // include_cluster_authorized_operations
  w.bool(false); // include_topic_authorized_operations
}

/** The address clients dial for a broker's advertised host and port. */
export function brokerAddress(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Response body. */
export function decodeMetadataResponse(r: Reader): MetadataResponse {
  r.int32(); // throttle_time_ms
  const brokers = r.array((r): BrokerInfo => {
    const nodeId = r.int32();
    const host = r.string();
    const port = r.int32();
    const rack = r.nullableString();
    return { nodeId, host, port, rack, address: brokerAddress(host, port) };
  });
  const clusterId = r.nullableString();
  const controllerId = r.int32();
  const topics = r.array((r): TopicMetadata => {
    const errorCode = r.int16();
    const name = r.string();
    const isInternal = r.bool();
    const partitions = r.array((r): PartitionMetadata => {
      const errorCode = r.int16();
      const partition = r.int32();
      const leader = r.int32();
      const leaderEpoch = r.int32();
      const replicas = r.array((r) => r.int32());
      const isr = r.array((r) => r.int32());
      r.array((r) => r.int32()); // offline_replicas
      return { partition, errorCode, leader, leaderEpoch, replicas, isr };
    });
    r.int32(); // topic_authorized_operations
    partitions.sort((a, b) => a.partition - b.partition);
    return { name, errorCode, isInternal, partitions };
  });
  r.int32(); // cluster_authorized_operations
  return { brokers, clusterId, controllerId, topics };
}
