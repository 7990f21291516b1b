// kafkajs's round-robin assigner (its default), with this instance's advertised URL in the
// group member metadata's user data, as Kafka Streams does with `application.server`: any
// member can then find, with DescribeGroups, which instance owns which partition and where
// to reach it (lib/serve/views_owners.ts).

import { Buffer } from "node:buffer";
import { AssignerProtocol, type PartitionAssigner, PartitionAssigners } from "kafkajs";

/** Round-robin, same name and version (compatible with plain members), plus user data. */
export function advertisingRoundRobin(userData: () => string | undefined): PartitionAssigner {
  return (config) => {
    const inner = PartitionAssigners.roundRobin(config);
    return {
      ...inner,
      protocol({ topics }) {
        return {
          name: inner.name,
          metadata: AssignerProtocol.MemberMetadata.encode({
            version: inner.version,
            topics,
            userData: Buffer.from(userData() ?? ""),
          }),
        };
      },
    };
  };
}
