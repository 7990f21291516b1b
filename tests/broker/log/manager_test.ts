import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { batch, kafkaErrorOf, openManager, rows } from "./_util.ts";

Deno.test("log manager: topics are created, validated, listed, described and durable", async () => {
  const { logs, dataDir } = await openManager({ defaultPartitions: 3 });
  logs.createTopic("orders", 2, { "cleanup.policy": "compact" });
  logs.createTopic("auto", -1);
  strictEqual(logs.getTopic("auto")!.partitions, 3);
  strictEqual(kafkaErrorOf(() => logs.createTopic("orders", 1)), "TOPIC_ALREADY_EXISTS");
  for (const bad of ["", ".", "..", "a/b", "x".repeat(250), "sp ace"]) {
    strictEqual(kafkaErrorOf(() => logs.createTopic(bad, 1)), "INVALID_TOPIC_EXCEPTION", bad);
  }
  strictEqual(kafkaErrorOf(() => logs.createTopic("z", 0)), "INVALID_PARTITIONS");
  strictEqual(kafkaErrorOf(() => logs.createTopic("z", 1, { "no.such": "1" })), "INVALID_CONFIG");
  strictEqual(
    kafkaErrorOf(() => logs.createTopic("z", 1, { "retention.ms": "soon" })),
    "INVALID_CONFIG",
  );
  logs.createTopic("dry", 1, {}, true);
  strictEqual(logs.getTopic("dry"), undefined);
  const cfg = logs.describeConfigs("orders");
  const policy = cfg.find((c) => c.name === "cleanup.policy")!;
  deepStrictEqual([policy.value, policy.isDefault], ["compact", false]);
  const ret = cfg.find((c) => c.name === "retention.ms")!;
  deepStrictEqual([ret.value, ret.isDefault], ["604800000", true]);
  logs.createPartitions("orders", 4);
  strictEqual(kafkaErrorOf(() => logs.createPartitions("orders", 4)), "INVALID_PARTITIONS");
  logs.partition("orders", 3)!.append(batch([["k", "v"]]));
  logs.createTopic("gone", 1);
  logs.deleteTopic("gone");
  strictEqual(kafkaErrorOf(() => logs.deleteTopic("gone")), "UNKNOWN_TOPIC_OR_PARTITION");
  await logs.close();

  const again = await openManager({ dataDir });
  deepStrictEqual(
    again.logs.listTopics().map((t) => [t.name, t.partitions]),
    [["auto", 3], ["orders", 4]],
  );
  strictEqual(again.logs.getTopic("orders")!.configs["cleanup.policy"], "compact");
  strictEqual(again.logs.partition("orders", 3)!.highWatermark, 1);
  await again.logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("partition log: append assigns offsets, read returns whole batches", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("t", 1);
  const p = logs.partition("t", 0)!;
  strictEqual(p.append(batch([["a", "1"], ["b", "2"]])).baseOffset, 0);
  strictEqual(p.append(batch([["c", "3"]])).baseOffset, 2);
  strictEqual(p.append(batch([["d", "4"], ["e", "5"], ["f", "6"]])).baseOffset, 3);
  strictEqual(p.highWatermark, 6);
  strictEqual(p.lastStableOffset, 6);
  const all = p.read(0, 1 << 20, 0);
  deepStrictEqual(rows(all.records).map((r) => r[0]), [0, 1, 2, 3, 4, 5]);
  // Fetch inside a batch returns that whole batch.
  deepStrictEqual(rows(p.read(4, 1 << 20, 1).records).map((r) => r[0]), [3, 4, 5]);
  // maxBytes smaller than one batch still returns exactly one batch.
  deepStrictEqual(rows(p.read(0, 1, 0).records).map((r) => r[0]), [0, 1]);
  strictEqual(p.read(6, 100, 0).records.length, 0);
  strictEqual(kafkaErrorOf(() => p.read(7, 100, 0)), "OFFSET_OUT_OF_RANGE");
  strictEqual(kafkaErrorOf(() => p.read(-1, 100, 0)), "OFFSET_OUT_OF_RANGE");
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("log manager: waitForAppend wakes on append, times out, and honours abort", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("w", 2);
  const p0 = logs.partition("w", 0)!;
  const p1 = logs.partition("w", 1)!;
  const t0 = Date.now();
  const woken = logs.waitForAppend([p0, p1], 5000);
  setTimeout(() => p1.append(batch([["k", "v"]])), 20);
  await woken;
  strictEqual(Date.now() - t0 < 2000, true);
  strictEqual(p1.waiters.size + p0.waiters.size, 0);
  const t1 = Date.now();
  await logs.waitForAppend([p0], 30);
  strictEqual(Date.now() - t1 >= 25, true);
  const ac = new AbortController();
  const aborted = logs.waitForAppend([p0], 5000, ac.signal);
  ac.abort();
  await aborted;
  await logs.close();
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("log manager: leftover partition dirs never resurrect data, orphans are reported", async () => {
  const { logs, dataDir } = await openManager();
  logs.createTopic("old", 1);
  logs.partition("old", 0)!.append(batch([["k", "stale"]]));
  await logs.close();
  // Simulate a crash after topics.json lost the topic but before its directory was removed.
  Deno.writeTextFileSync(`${dataDir}/topics.json`, JSON.stringify({ version: 1, topics: {} }));
  Deno.writeTextFileSync(`${dataDir}/topics.jsonl`, "");
  const again = await openManager({ dataDir });
  strictEqual(
    again.lines.some((l) => l.includes("old-0: no such topic")),
    true,
    again.lines.join("\n"),
  );
  again.logs.createTopic("old", 1);
  strictEqual(again.logs.partition("old", 0)!.highWatermark, 0);
  await again.logs.close();
  // A corrupt topics.json is an error naming the file, not a silent empty broker.
  Deno.writeTextFileSync(`${dataDir}/topics.json`, "{not json");
  let err = "";
  try {
    await openManager({ dataDir });
  } catch (e) {
    err = (e as Error).message;
  }
  strictEqual(err.includes("topics.json: not valid JSON"), true, err);
  Deno.removeSync(dataDir, { recursive: true });
});

Deno.test("log manager: on a case-insensitive file system, names differing only in case are refused", async () => {
  const ci = await openManager({ caseInsensitiveFs: true });
  ci.logs.createTopic("Orders", 1);
  strictEqual(kafkaErrorOf(() => ci.logs.createTopic("orders", 1)), "INVALID_TOPIC_EXCEPTION");
  await ci.logs.close();
  Deno.removeSync(ci.dataDir, { recursive: true });
  // On Linux the probe finds the temp dir case-sensitive: both names are separate topics.
  if (Deno.build.os !== "linux") return;
  const cs = await openManager();
  cs.logs.createTopic("Orders", 1);
  cs.logs.createTopic("orders", 1);
  strictEqual(cs.logs.listTopics().length, 2);
  await cs.logs.close();
  Deno.removeSync(cs.dataDir, { recursive: true });
});
