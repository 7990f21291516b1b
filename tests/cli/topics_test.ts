import assert from "node:assert/strict";
import { command } from "../../lib/cli/topics.ts";
import { withBroker } from "./_broker.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";

Deno.test("sa topics create/list/describe/delete against the embedded broker", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      let r = await runCommand(command, ["list", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "No topics.\n");
      r = await runCommand(command, [
        "create",
        "raw-data",
        "-p",
        "3",
        "-c",
        "retention.ms=60000",
        ...b,
      ], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "Created topic raw-data (3 partition(s), replication 1)\n");
      r = await runCommand(command, ["create", "raw-data", ...b], dir);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `sa topics: topic "raw-data" already exists on ${address}\n`);

      const producer = kafkaFor(address).producer();
      await producer.connect();
      await producer.send({
        topic: "raw-data",
        messages: [0, 1, 2, 3, 4].map((i) => ({ value: `m${i}`, partition: i % 3 })),
      });
      await producer.disconnect();

      // SA_BROKER from the environment works as well as --broker.
      r = await runCommand(command, ["list"], dir, { SA_BROKER: address });
      assert.equal(
        r.stdout,
        "TOPIC     PARTITIONS  START  MESSAGES\nraw-data           3  0,0,0         5\n",
      );
      r = await runCommand(command, ["describe", "raw-data", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /^Topic raw-data\nPARTITION {2}LEADER {2}REPLICAS {2}ISR {2}START {2}END {2}MESSAGES\n {8}0 .* 2 +2\n {8}1 .* 2 +2\n {8}2 .* 1 +1\n/,
      );
      assert.match(r.stdout, /retention\.ms +60000/);
      // The help names every column describe prints.
      const describeHelp = command.help.split("\n").find((l) => l.startsWith("describe"))!;
      for (const column of r.stdout.split("\n")[1].split(/ +/)) {
        assert.match(describeHelp, new RegExp(`\\b${column}\\b`, "i"), `help lacks ${column}`);
      }
      r = await runCommand(command, ["delete", "raw-data", "nope", ...b], dir);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no topic "nope"/);
      r = await runCommand(command, ["delete", "raw-data", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      r = await runCommand(command, ["describe", "raw-data", ...b], dir);
      assert.equal(r.stderr, `sa topics: no topic "raw-data" on ${address}\n`);
    })
  );
});

Deno.test("sa topics: bad input fails before contacting a broker; unreachable broker is named", async () => {
  await withTempDir(async (dir) => {
    let r = await runCommand(command, ["create", "bad name", "-b", "127.0.0.1:1"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid topic name "bad name"/);
    r = await runCommand(command, ["create", "t", "-p", "0", "-b", "127.0.0.1:1"], dir);
    assert.match(r.stderr, /--partitions must be an integer >= 1, not "0"/);
    r = await runCommand(command, ["list", "-b", "nohostport"], dir);
    assert.match(r.stderr, /invalid broker address "nohostport": expected host:port/);
    r = await runCommand(command, ["mk"], dir);
    assert.match(r.stderr, /unknown subcommand "mk"/);
    // Port 1 on loopback refuses connections.
    r = await runCommand(command, ["list", "-b", "127.0.0.1:1"], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sa topics: cannot reach the broker at 127\.0\.0\.1:1: /);
  });
});

Deno.test("sa topics list: START shows the low-water mark; --all adds changelog and repartition topics", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      const producer = kafkaFor(address).producer();
      await producer.connect();
      for (const topic of ["raw-data", "changelog__g--raw-data--state", "repartition__g--s--k"]) {
        await producer.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ value: `m${i}` })) });
      }
      await producer.disconnect();
      const admin = kafkaFor(address).admin();
      await admin.connect();
      await admin.fetchTopicMetadata({ topics: ["raw-data"] });
      await admin.deleteTopicRecords({
        topic: "raw-data",
        partitions: [{ partition: 0, offset: "3" }],
      });
      await admin.disconnect();
      let r = await runCommand(command, ["list", ...b], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        "TOPIC     PARTITIONS  START  MESSAGES\nraw-data           1      3         1\n",
      );
      r = await runCommand(command, ["list", "--all", ...b], dir);
      assert.equal(
        r.stdout,
        "TOPIC                          PARTITIONS  START  MESSAGES\n" +
          "changelog__g--raw-data--state           1      0         4\n" +
          "raw-data                                1      3         1\n" +
          "repartition__g--s--k                    1      0         4\n",
      );
      assert.equal(r.stderr, "");
    })
  );
});
