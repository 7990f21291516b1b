/** Item 2 of issue 14: topics `sa up` creates keep 2024-stamped data (by size, not time). */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as topics } from "../../lib/cli/topics.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { runCommand, withTempDir } from "./_helpers.ts";
import { spawnSa } from "../apps/_helpers.ts";

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
