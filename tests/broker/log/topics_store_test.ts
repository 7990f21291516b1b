import assert from "node:assert/strict";
import { TopicsStore } from "../../../lib/broker/log/topics_store.ts";
import { openManager } from "./_util.ts";

const lines = (path: string) => Deno.readTextFileSync(path).split("\n").filter((l) => l).length;
const snapshotTopics = (path: string) =>
  Object.keys(JSON.parse(Deno.readTextFileSync(path)).topics).length;

Deno.test("topic metadata: a change appends one line, the table is rewritten only when the log outgrows it", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-topics-store-" });
  try {
    const store = TopicsStore.open(dataDir);
    for (let i = 0; i < 1500; i++) store.put(`t${i}`, { partitions: 1, configs: {} });
    // Rewriting topics.json per topic made 10,000 creations quadratic: it was folded once,
    // at 1024 lines, and the 476 changes since are one line each.
    assert.equal(snapshotTopics(`${dataDir}/topics.json`), 1024);
    assert.equal(lines(`${dataDir}/topics.jsonl`), 476);
    store.delete("t0");
    store.put("t1", { partitions: 3, configs: { "cleanup.policy": "compact" } });
    assert.equal(lines(`${dataDir}/topics.jsonl`), 478);
    store.close();
    const again = TopicsStore.open(dataDir);
    assert.equal(again.topics.size, 1499);
    assert.deepEqual(again.topics.get("t1"), {
      partitions: 3,
      configs: { "cleanup.policy": "compact" },
    });
    again.close();
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("topic metadata: a torn last line (a crash mid-append) is dropped, later changes survive", async () => {
  const { logs, dataDir } = await openManager();
  try {
    logs.createTopic("a", 1);
    await logs.close();
    Deno.writeTextFileSync(`${dataDir}/topics.jsonl`, `{"t":"torn","p":1`, { append: true });
    const again = await openManager({ dataDir });
    assert.deepEqual(again.logs.listTopics().map((t) => t.name), ["a"]);
    again.logs.createTopic("b", 1);
    await again.logs.close();
    const third = await openManager({ dataDir });
    assert.deepEqual(third.logs.listTopics().map((t) => t.name), ["a", "b"]);
    await third.logs.close();
  } finally {
    Deno.removeSync(dataDir, { recursive: true });
  }
});
