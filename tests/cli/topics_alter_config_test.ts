import assert from "node:assert/strict";
import { command } from "../../lib/cli/topics.ts";
import { startBroker } from "../../lib/broker/mod.ts";
import { Logger } from "../../lib/util/log.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { runCommand, withTempDir } from "./_helpers.ts";

Deno.test("sa topics alter-config sets and deletes configs (kafkajs AlterConfigs); retention follows", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "sa-alter-config-" });
  const broker = await startBroker({
    port: 0,
    dataDir,
    logger: new Logger("broker", "ERROR"),
    logRetentionCheckIntervalMs: 100,
  });
  const address = broker.address;
  const admin = kafkaFor(address).admin();
  try {
    await admin.connect();
    await withTempDir(async (dir) => {
      const b = ["--broker", address];
      const run = (...args: string[]) => runCommand(command, [...args, ...b], dir);
      let r = await run("create", "t", "-c", "retention.ms=60000", "-c", "segment.ms=600000");
      assert.equal(r.code, 0, r.stderr);
      const producer = kafkaFor(address).producer();
      await producer.connect();
      await producer.send({ topic: "t", messages: [{ value: "a" }, { value: "b" }] });
      await producer.disconnect();

      r = await run(
        "alter-config",
        "t",
        "retention.ms=200",
        "min.cleanable.dirty.ratio=0.1",
        "--delete",
        "segment.ms",
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        "Altered topic t: retention.ms=200, min.cleanable.dirty.ratio=0.1, segment.ms (default)\n",
      );
      const { resources } = await admin.describeConfigs({
        resources: [{ type: 2, name: "t" }],
        includeSynonyms: false,
      });
      const cfg = new Map(resources[0].configEntries.map((e) => [e.configName, e]));
      assert.equal(cfg.get("retention.ms")?.configValue, "200");
      assert.equal(cfg.get("min.cleanable.dirty.ratio")?.configValue, "0.1");
      assert.equal(cfg.get("segment.ms")?.configValue, "604800000");
      assert.equal(cfg.get("segment.ms")?.isDefault, true);

      // The new retention.ms applies at the next check (every 100 ms here): both go.
      const start = performance.now();
      while (Number((await admin.fetchTopicOffsets("t"))[0].low) !== 2) {
        assert.ok(performance.now() - start < 3000, "retention deleted the records within 3 s");
        await new Promise((res) => setTimeout(res, 50));
      }

      // Errors name what is wrong; nothing changes.
      r = await run("alter-config", "t", "retention.ms=5", "no.such.key=1");
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `sa topics: ${address} refused no.such.key=1 for topic t: unknown config or invalid value\n`,
      );
      r = await run("alter-config", "t", "segment.ms=soon");
      assert.equal(
        r.stderr,
        `sa topics: ${address} refused segment.ms=soon for topic t: unknown config or invalid value\n`,
      );
      r = await run("alter-config", "t", "retention.ms");
      assert.equal(r.code, 2);
      assert.equal(
        r.stderr,
        `sa topics: "retention.ms" must be key=value, e.g. retention.ms=60000\n`,
      );
      r = await run("alter-config", "t");
      assert.equal(r.code, 2);
      assert.match(r.stderr, /nothing to change/);
      r = await run("alter-config", "nope", "retention.ms=1");
      assert.equal(r.stderr, `sa topics: no topic "nope" on ${address}\n`);
      const after = await admin.describeConfigs({
        resources: [{ type: 2, name: "t" }],
        includeSynonyms: false,
      });
      const retention = after.resources[0].configEntries.find((e) =>
        e.configName === "retention.ms"
      );
      assert.equal(retention?.configValue, "200");
    });
  } finally {
    await admin.disconnect();
    await broker.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
