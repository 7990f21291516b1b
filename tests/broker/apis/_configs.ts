/**
 * Topic setup and inspection shared by the config golden tests (33, 44).
 *
 * @module
 */
import assert from "node:assert/strict";
import { type StoredTopic, TopicsStore } from "../../../lib/broker/log/topics_store.ts";
import { arr, bool, i16, i32, request, str, type WireClient } from "./_wire.ts";

/** Creates `name` (1 partition) with `configs` through CreateTopics v1. */
export async function createTopic(
  c: WireClient,
  name: string,
  configs: [string, string][] = [],
): Promise<void> {
  const res = await c.roundTrip(request(19, 1, 1, [
    ...arr([[
      ...str(name),
      ...i32(1),
      ...i16(1),
      ...arr([]),
      ...arr(configs.map(([k, v]) => [...str(k), ...str(v)])),
    ]]),
    ...i32(1000),
    ...bool(false),
  ]));
  const view = new DataView(res.buffer, res.byteOffset);
  assert.equal(view.getInt16(4 + 4 + 2 + name.length), 0, `create ${name}`);
}

/** What the data dir holds for `topic` (topics.json with its change log replayed over it). */
export function storedTopic(dataDir: string, topic: string): StoredTopic {
  const store = TopicsStore.open(dataDir);
  try {
    const t = store.topics.get(topic);
    if (!t) throw new Error(`${topic} is not stored in ${dataDir}`);
    return t;
  } finally {
    store.close();
  }
}

/** The explicit configs of `topic` as stored on disk. */
export function storedConfigs(dataDir: string, topic: string): Record<string, string> {
  return storedTopic(dataDir, topic).configs;
}
