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
import { handler as createPartitions } from "./37_create_partitions.ts";

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
  createPartitions,
];

/** Every served API by key. */
export const handlers: ReadonlyMap<number, ApiHandler> = new Map(all.map((h) => [h.key, h]));
