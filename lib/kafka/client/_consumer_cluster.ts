/**
 * The consumer's view of a {@link Cluster}: the group coordinator's connection, and per
 * leader a connection reserved for Fetch, so a long-polling fetch never delays a heartbeat.
 *
 * @module
 */

import type { Cluster } from "./cluster.ts";
import type { ConsumerCluster } from "./consumer.ts";

export function consumerCluster(cluster: Cluster): ConsumerCluster & { close(): void } {
  return {
    async groupCoordinator(groupId) {
      return await cluster.connection(await cluster.coordinator("group", groupId), "group");
    },
    forgetCoordinator(groupId) {
      cluster.forgetCoordinator("group", groupId);
    },
    async fetchChannel(topic, partition) {
      const node = await cluster.leader(topic, partition);
      return { node, channel: await cluster.connection(node, "fetch") };
    },
    partitions: (topic) => cluster.partitions(topic),
    refreshMetadata(topics) {
      for (const t of topics) cluster.invalidate(t);
    },
    close() {
      cluster.close().catch(() => {});
    },
  };
}
