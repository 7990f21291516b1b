import assert from "node:assert/strict";
import { join } from "node:path";
import { command as exportCmd } from "../../lib/cli/export.ts";
import { command as importCmd } from "../../lib/cli/import.ts";
import { command as replayCmd } from "../../lib/cli/replay.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { withBroker } from "./_broker.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";

Deno.test("sa export / sa import round-trip keys, headers, timestamps and bytes; sa replay", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      const kafka = kafkaFor(address);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        topics: [{ topic: "src", numPartitions: 2 }, { topic: "dst", numPartitions: 2 }, {
          topic: "src-dlq",
        }],
      });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: "src",
        messages: [
          { partition: 0, key: "a", value: '{"x":1}', timestamp: "1000", headers: { h: "1" } },
          { partition: 0, key: "b", value: '{ "spaced": true }', timestamp: "2000" },
          { partition: 1, key: null, value: Buffer.from([0, 255, 7]), timestamp: "3000" },
          { partition: 1, key: "t", value: null, timestamp: "4000" },
        ],
      });
      await producer.send({
        topic: "src-dlq",
        messages: [{ key: "dead", value: "again", headers: { error: "boom" } }],
      });
      await producer.disconnect();
      let r = await runCommand(exportCmd, ["src", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, "4 record(s)\n");
      const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(lines[0], {
        partition: 0,
        offset: 0,
        timestamp: 1000,
        key: "a",
        headers: [{ key: "h", value: "1" }],
        value: { x: 1 },
      });
      assert.equal(lines[1].value, '{ "spaced": true }');
      assert.equal(lines[1].valueEncoding, "text");
      assert.deepEqual([lines[2].value, lines[2].valueEncoding], ["AP8H", "base64"]);
      assert.equal(lines[3].value, null);
      await Deno.writeTextFile(join(dir, "src.ndjson"), r.stdout);
      r = await runCommand(importCmd, ["dst", "-f", "src.ndjson", "--keep-partitions", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "Imported 4 record(s) to dst\n");
      const again = await runCommand(exportCmd, ["dst", ...b], dir);
      assert.deepEqual(
        again.stdout.trim().split("\n").map((l) => JSON.parse(l)),
        lines,
      );
      // Filters and bad input.
      r = await runCommand(exportCmd, ["src", "--filter", "value && value.x === 1", ...b], dir);
      assert.equal(r.stdout.trim().split("\n").length, 1);
      r = await runCommand(exportCmd, ["src", "--filter", "value.(", ...b], dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^sa export: filter: /);
      r = await runCommand(exportCmd, ["src", "--from", "sideways", ...b], dir);
      assert.equal(r.code, 2);
      await Deno.writeTextFile(join(dir, "bad.ndjson"), '{"value":1}\n{oops\n');
      r = await runCommand(importCmd, ["dst", "-f", "bad.ndjson", ...b], dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^sa import: line 2: /);
      r = await runCommand(importCmd, ["nope", "-f", "src.ndjson", ...b], dir);
      assert.equal(r.stderr, `sa import: no topic "nope" on ${address}\n`);
      // Replay a dead-letter topic.
      r = await runCommand(replayCmd, ["src-dlq", "--to", "src", ...b], dir);
      assert.equal(r.stdout, "Replayed 1 record(s) from src-dlq to src\n");
      r = await runCommand(exportCmd, ["src", "--grep", "boom", ...b], dir);
      assert.equal(JSON.parse(r.stdout).key, "dead");
      r = await runCommand(replayCmd, ["src-dlq", ...b], dir);
      assert.equal(r.code, 2);
    })
  );
});
