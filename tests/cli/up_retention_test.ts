/** Item 2 of issue 14: topics `sa up` creates keep 2024-stamped data (by size, not time). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as topics } from "../../lib/cli/topics.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";
import { upBrokerLogFilter } from "../../lib/cli/_up_broker.ts";

Deno.test("sa up: declared topics keep records with 2024 times (retention.ms -1, bytes bound kept)", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      `deployments: []
topics:
  - name: windows
    configuration:
      retentionInMinutes: 1440
      retentionInBytes: 52428800
`,
    );
    const proc = spawnSa(["up", "--port", "0"], dir);
    try {
      await proc.waitFor((_o, err) => /ready in \d+ ms/.test(err));
      const status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
      const address = status.broker.address;
      const producer = kafkaFor(address).producer();
      await producer.connect();
      await producer.send({
        topic: "windows",
        messages: [{ value: "w", timestamp: String(Date.UTC(2024, 4, 1)) }],
      });
      await producer.disconnect();
      const r = await runCommand(topics, ["describe", "windows", "--broker", address], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\nretention\.bytes +52428800\n/);
      assert.match(r.stdout, /\nretention\.ms +-1\n/);
      assert.match(r.stdout, /\n {8}0 .* 0 +1 +1\n/);
    } finally {
      const st = await proc.kill("SIGINT");
      assert.equal(st.code, 0, proc.stderr());
    }
    assert.doesNotMatch(proc.stderr(), /already older than retention/);
  });
});

Deno.test("sa up: a retention deletion is shown (topic, partition, offsets, reason) at the default WARN level", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(
      join(dir, "sa.yaml"),
      `deployments: []
topics:
  - name: windows
    configuration:
      retentionInBytes: 52428800
`,
    );
    const proc = spawnSa(["up", "--port", "0", "--log-retention-check-interval-ms", "100"], dir);
    try {
      await proc.waitFor((_o, err) => /ready in \d+ ms/.test(err));
      const status = JSON.parse(await Deno.readTextFile(join(dir, ".sa/status.json")));
      const address = status.broker.address;
      const producer = kafkaFor(address).producer();
      await producer.connect();
      await producer.send({
        topic: "windows",
        messages: [{ value: "w", timestamp: String(Date.UTC(2024, 4, 1)) }],
      });
      await producer.disconnect();
      // A student shortens the retention: the 2024 record goes at the next check.
      const r = await runCommand(
        topics,
        ["alter-config", "windows", "retention.ms=60000", "--broker", address],
        dir,
      );
      assert.equal(r.code, 0, r.stderr);
      const line =
        /broker +\| \S+ INFO {2}\[log\] retention: windows-0 deletes offsets 0\.\.0 \(1 segment\(s\), log start 0 -> 1\): newest record time 2024-05-01T00:00:00\.000Z is older than retention\.ms=60000/;
      await proc.waitFor((_o, err) => line.test(err), 15_000);
      const logged = await Deno.readTextFile(join(dir, ".sa/logs/broker.log"));
      assert.match(logged, /INFO {2}\[log\] retention: windows-0 deletes offsets 0\.\.0/);
    } finally {
      const st = await proc.kill("SIGINT");
      assert.equal(st.code, 0, proc.stderr());
    }
    // WARN stays the level for everything else: no other INFO line of the broker.
    for (const l of proc.stderr().split("\n").filter((l) => /^broker +\|/.test(l))) {
      assert.ok(!/ INFO /.test(l) || / INFO {2}\[log\] retention: /.test(l), l);
    }
  });
});

Deno.test("sa up's broker log filter: retention lines at WARN and below, the chosen level otherwise", () => {
  const ret = "2026-01-01T00:00:00.000Z INFO  [log] retention: t-0 deletes offsets 0..1 (...): x";
  const other = "2026-01-01T00:00:00.000Z INFO  [net] connection from 127.0.0.1:5000";
  const warn = upBrokerLogFilter("WARN");
  assert.equal(warn.loggerLevel, "INFO");
  assert.deepEqual([warn.accept(ret, "INFO"), warn.accept(other, "INFO")], [true, false]);
  assert.equal(warn.accept("... WARN  [log] x", "WARN"), true);
  const info = upBrokerLogFilter("INFO");
  assert.deepEqual([info.accept(ret, "INFO"), info.accept(other, "INFO")], [true, true]);
  const error = upBrokerLogFilter("ERROR");
  assert.equal(error.loggerLevel, "ERROR");
  assert.equal(error.accept(ret, "INFO"), false);
});
