import assert from "node:assert/strict";
import { join } from "node:path";
import { command as reset, parseTarget } from "../../lib/cli/reset.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { withBroker } from "./_broker.ts";
import { runCommand, withTempDir } from "./_helpers.ts";

Deno.test("parseTarget: earliest, latest, epoch ms, ISO; anything else is a usage error", () => {
  assert.deepEqual(parseTarget(undefined), { kind: "earliest" });
  assert.deepEqual(parseTarget("latest"), { kind: "latest" });
  assert.deepEqual(parseTarget("1715254400000"), { kind: "time", ms: 1715254400000 });
  assert.deepEqual(parseTarget("2024-05-09T11:33:20Z"), { kind: "time", ms: 1715254400000 });
  assert.throws(() => parseTarget("yesterday"), /--to "yesterday"/);
});

Deno.test("sa reset moves a stopped group's offsets and clears its state; refuses a running group", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      const kafka = kafkaFor(address);
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer();
      await producer.connect();
      for (let i = 0; i < 4; i++) {
        await producer.send({
          topic: "t",
          messages: [{ value: `v${i}`, timestamp: String(1000 * (i + 1)) }],
        });
      }
      await producer.disconnect();
      await admin.setOffsets({
        groupId: "odo",
        topic: "t",
        partitions: [{ partition: 0, offset: "4" }],
      });
      const committed = async () =>
        Number(
          (await admin.fetchOffsets({ groupId: "odo", topics: ["t"] }))[0].partitions[0].offset,
        );
      try {
        const state = join(dir, ".sa", "state", "odometer", "odo", "default", "t", "0");
        Deno.mkdirSync(state, { recursive: true });
        Deno.writeTextFileSync(join(state, "state.sqlite"), "x");
        const other = join(dir, ".sa", "state", "other", "odo", "default");
        Deno.mkdirSync(other, { recursive: true });

        let r = await runCommand(reset, ["odo", ...b, "--dry-run", "--clear-state"], dir);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /would reset odo on t: \[0\]=0/);
        assert.match(r.stdout, /would delete state .*odometer\/odo/);
        assert.equal(await committed(), 4);

        r = await runCommand(reset, ["odo", ...b, "--clear-state"], dir);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await committed(), 0);
        assert.throws(() => Deno.statSync(join(dir, ".sa", "state", "odometer", "odo")));
        assert.throws(() => Deno.statSync(join(dir, ".sa", "state", "other", "odo")));

        // (each real reset takes ~5 s: kafkajs' setOffsets waits for one fetch of a paused consumer)
        r = await runCommand(reset, ["odo", ...b, "--to", "2500"], dir);
        assert.equal(await committed(), 2, r.stderr);

        r = await runCommand(reset, ["nobody", ...b], dir);
        assert.equal(r.code, 1);
        assert.equal(
          r.stderr,
          `sa reset: consumer group "nobody" is unknown on ${address}: it has no members and no ` +
            "committed offsets (groups: odo); to start it at a position anyway, name the topics " +
            "with --topic\n",
        );
        assert.equal(r.stdout, "");

        const consumer = kafka.consumer({
          groupId: "odo",
          sessionTimeout: 6000,
          heartbeatInterval: 500,
          maxWaitTimeInMs: 100,
        });
        await consumer.connect();
        const joined = new Promise<void>((resolve) =>
          consumer.on(consumer.events.GROUP_JOIN, () => resolve())
        );
        await consumer.subscribe({ topic: "t" });
        await consumer.run({ eachMessage: async () => {} });
        await joined;
        r = await runCommand(reset, ["odo", ...b], dir);
        await consumer.disconnect();
        assert.equal(r.code, 1);
        assert.match(r.stderr, /consumer group "odo" is running .*stop its app first/);
      } finally {
        await admin.disconnect();
      }
    })
  );
});

Deno.test("sa reset --to-offset / --shift-by per topic and partition: skip a poison message", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      const kafka = kafkaFor(address);
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: "raw", numPartitions: 2 }] });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: "raw",
        messages: Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })),
      });
      await producer.disconnect();
      await admin.setOffsets({
        groupId: "norm",
        topic: "raw",
        partitions: [{ partition: 0, offset: "4" }, { partition: 1, offset: "6" }],
      });
      const committed = async () =>
        (await admin.fetchOffsets({ groupId: "norm", topics: ["raw"] }))[0].partitions
          .sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
      try {
        // Usage errors: nothing changes.
        let r = await runCommand(reset, ["norm", ...b, "--to", "latest", "--shift-by", "1"], dir);
        assert.deepEqual([r.code, r.stderr], [
          2,
          "sa reset: use one of --to, --shift-by, not several\n",
        ]);
        r = await runCommand(reset, ["norm", ...b, "--shift-by", "one"], dir);
        assert.deepEqual(
          [r.code, r.stderr],
          [2, 'sa reset: --shift-by must be a whole number (1 skips one record), not "one"\n'],
        );
        r = await runCommand(reset, ["norm", ...b, "--to-offset", "11", "--topic", "raw"], dir);
        assert.deepEqual(
          [r.code, r.stderr],
          [
            1,
            "sa reset: --to-offset 11 is outside raw[0]: its offsets run from 0 to 10 (the end)\n",
          ],
        );
        r = await runCommand(reset, ["norm", ...b, "--topic", "raw", "--partition", "5"], dir);
        assert.deepEqual(
          [r.code, r.stderr],
          [1, 'sa reset: topic "raw" has no partition 5 (it has 2)\n'],
        );
        assert.deepEqual(await committed(), [4, 6]);

        // Skip the poison message at raw[0] offset 4 only.
        r = await runCommand(
          reset,
          ["norm", ...b, "--topic", "raw", "--partition", "0", "--shift-by", "1"],
          dir,
        );
        assert.deepEqual([r.code, r.stdout, r.stderr], [0, "reset norm on raw: [0]=5\n", ""]);
        assert.deepEqual(await committed(), [5, 6]);

        // Negative shifts (a plain `-3` is the value) stay within the partition's offsets.
        r = await runCommand(reset, ["norm", ...b, "--shift-by", "-30"], dir);
        assert.deepEqual([r.code, r.stdout], [0, "reset norm on raw: [0]=0 [1]=0\n"]);
        assert.deepEqual(await committed(), [0, 0]);

        r = await runCommand(
          reset,
          ["norm", ...b, "--topic", "raw", "--partition", "1", "--to-offset", "7", "--dry-run"],
          dir,
        );
        assert.deepEqual([r.code, r.stdout], [0, "would reset norm on raw: [1]=7\n"]);
        assert.deepEqual(await committed(), [0, 0]);
      } finally {
        await admin.disconnect();
      }
    })
  );
});
