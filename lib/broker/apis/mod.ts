/**
 * The registry of served APIs: one handler per API key, each from its own `NN_name.ts` file.
 * ApiVersions advertises exactly this table.
 *
 * @module
 */
import type { ApiHandler } from "./_types.ts";
import { handler as produce } from "./00_produce.ts";
import { handler as fetch } from "./01_fetch.ts";
import { handler as listOffsets } from "./02_list_offsets.ts";
import { handler as metadata } from "./03_metadata.ts";
import { handler as apiVersions } from "./18_api_versions.ts";
import { handler as createTopics } from "./19_create_topics.ts";
import { handler as deleteTopics } from "./20_delete_topics.ts";
import { handler as deleteRecords } from "./21_delete_records.ts";
import { handler as describeConfigs } from "./32_describe_configs.ts";
import { handler as alterConfigs } from "./33_alter_configs.ts";
import { handler as describeLogDirs } from "./35_describe_log_dirs.ts";
import { handler as createPartitions } from "./37_create_partitions.ts";
import { handler as incrementalAlterConfigs } from "./44_incremental_alter_configs.ts";
import { handler as offsetDelete } from "./47_offset_delete.ts";
import { handler as offsetCommit } from "./08_offset_commit.ts";
import { handler as offsetFetch } from "./09_offset_fetch.ts";
import { handler as findCoordinator } from "./10_find_coordinator.ts";
import { handler as joinGroup } from "./11_join_group.ts";
import { handler as heartbeat } from "./12_heartbeat.ts";
import { handler as leaveGroup } from "./13_leave_group.ts";
import { handler as syncGroup } from "./14_sync_group.ts";
import { handler as describeGroups } from "./15_describe_groups.ts";
import { handler as listGroups } from "./16_list_groups.ts";
import { handler as initProducerId } from "./22_init_producer_id.ts";
import { handler as addPartitionsToTxn } from "./24_add_partitions_to_txn.ts";
import { handler as addOffsetsToTxn } from "./25_add_offsets_to_txn.ts";
import { handler as endTxn } from "./26_end_txn.ts";
import { handler as txnOffsetCommit } from "./28_txn_offset_commit.ts";
import { handler as deleteGroups } from "./42_delete_groups.ts";
import { handler as saslHandshake } from "./17_sasl_handshake.ts";
import { handler as saslAuthenticate } from "./36_sasl_authenticate.ts";

const all: ApiHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  describeConfigs,
  alterConfigs,
  describeLogDirs,
  createPartitions,
  incrementalAlterConfigs,
  offsetDelete,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
  deleteGroups,
];

/** Every served API by key, on a broker without users. */
export const handlers: ReadonlyMap<number, ApiHandler> = new Map(all.map((h) => [h.key, h]));

/** Every served API by key, on a broker with users: SaslHandshake and SaslAuthenticate too. */
export const saslHandlers: ReadonlyMap<number, ApiHandler> = new Map(
  [...all, saslHandshake, saslAuthenticate].map((h) => [h.key, h]),
);
