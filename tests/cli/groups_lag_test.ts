import assert from "node:assert/strict";
import { command as groups } from "../../lib/cli/groups.ts";
import { command as lag } from "../../lib/cli/lag.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { withBroker } from "./_broker.ts";
import { runCommand, withTempDir } from "./_helpers.ts";

Deno.test("sa groups and sa lag: OK, STOP and STALL groups on the embedded broker", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      const kafka = kafkaFor(address);
      const admin = kafka.admin();
      await admin.connect();
      const producer = kafka.producer();
      await producer.connect();
      const base = Date.now() - 3_600_000;
      await producer.send({
        topic: "t",
        // An hour ago, a minute apart: lag in seconds is known to within the test's run time.
        messages: [0, 1, 2, 3, 4].map((i) => ({
          value: `v${i}`,
          timestamp: String(base + i * 60_000),
        })),
      });
      await producer.disconnect();
      // A member of `groupId` that commits `offset` once, then idles. (kafkajs admin.setOffsets
      // would take ~5 s per group: it runs a consumer with the default 5 s fetch wait.)
      const member = async (groupId: string, offset: string) => {
        const consumer = kafka.consumer({
          groupId,
          sessionTimeout: 6000,
          heartbeatInterval: 500,
          maxWaitTimeInMs: 100,
        });
        await consumer.connect();
        const joined = new Promise<void>((resolve) =>
          consumer.on(consumer.events.GROUP_JOIN, () => resolve())
        );
        await consumer.subscribe({ topic: "t" });
        await consumer.run({ autoCommit: false, eachMessage: () => Promise.resolve() });
        await joined;
        await consumer.commitOffsets([{ topic: "t", partition: 0, offset }]);
        return consumer;
      };
      // "done" consumed everything and left, "stopped" stopped at 2 and left.
      await (await member("done", "5")).disconnect();
      await (await member("stopped", "2")).disconnect();
      // "stuck" has a live member that committed 1 and never commits again.
      const consumer = await member("stuck", "1");
      try {
        let r = await runCommand(groups, ["list", ...b], dir);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(
          r.stdout,
          "GROUP    STATE   MEMBERS\ndone     Empty         0\nstopped  Empty         0\nstuck    Stable        1\n",
        );
        r = await runCommand(groups, ["describe", "stuck", ...b], dir);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Group stuck: Stable, 1 member\(s\)\n/);
        assert.match(r.stdout, /\bt:0\b/);
        assert(
          r.stdout.endsWith(
            "TOPIC  PARTITION  COMMITTED  END  LAG  CONSUMER\nt              0          1    5    4  sa-cli\n",
          ),
          r.stdout,
        );

        r = await runCommand(lag, ["--samples", "3", "--interval", "100", ...b], dir);
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.stderr, "Sampling 3 times over 0.2s...\n");
        const lines = r.stdout.split("\n");
        assert.equal(lines[0], "GROUP    TOPIC  PARTITION  COMMITTED  END  LAG  LAG_S   STATUS");
        assert.equal(lines[1], "done     t              0          5    5    0  0.0     OK");
        // Exact: now minus the timestamp of the record at the committed offset.
        const cols = (line: string) => line.split(/ +/);
        assert.deepEqual(cols(lines[2]).slice(0, 6), ["stopped", "t", "0", "2", "5", "3"]);
        assert.equal(cols(lines[2])[7], "STOP");
        assert.deepEqual(cols(lines[3]).slice(0, 6), ["stuck", "t", "0", "1", "5", "4"]);
        assert.equal(cols(lines[3])[7], "STALL");
        const stopped = Number(cols(lines[2])[6]);
        const stuck = Number(cols(lines[3])[6]);
        const elapsed = (Date.now() - base) / 1000 - 3600;
        assert(stopped >= 3480 && stopped <= 3480 + elapsed + 1, lines[2]);
        assert(stuck >= 3540 && stuck <= 3540 + elapsed + 1, lines[3]);
        assert.equal(
          lines.slice(4).join("\n"),
          "done: OK (0 member(s), total lag 0)\n" +
            "stopped: STOP (0 member(s), total lag 3; lagging with no active consumer)\n" +
            "stuck: STALL (1 member(s), total lag 4; consumer present but its offset is not moving)\n",
        );
        r = await runCommand(lag, ["done", "--samples", "1", ...b], dir);
        assert.equal(r.code, 0);
        assert.match(r.stdout, /done: OK/);
      } finally {
        await consumer.disconnect();
        await admin.disconnect();
      }
    })
  );
});

Deno.test("sa groups / lag: unknown group and bad options", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const b = ["--broker", address];
      let r = await runCommand(groups, ["describe", "ghost", ...b], dir);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `sa groups: no group "ghost" on ${address}\n`);
      r = await runCommand(lag, ["ghost", ...b], dir);
      assert.equal(r.stderr, `sa lag: no group "ghost" on ${address}\n`);
      r = await runCommand(lag, ["--samples", "0", ...b], dir);
      assert.equal(r.code, 2);
      r = await runCommand(groups, ["list", ...b], dir);
      assert.equal(r.stdout, "No consumer groups.\n");
      r = await runCommand(groups, ["show", ...b], dir);
      assert.match(r.stderr, /unknown subcommand "show"/);
    })
  );
});
