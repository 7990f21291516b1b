import assert from "node:assert/strict";
import { command } from "../../lib/cli/broker.ts";
import { CliError } from "../../lib/cli/_command.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { captureEnv, withTempDir } from "./_helpers.ts";

Deno.test("sa broker --log-retention-check-interval-ms/--log-cleaner-backoff-ms reach the broker", async () => {
  await withTempDir(async (cwd) => {
    const ctrl = new AbortController();
    const env = captureEnv(cwd, {}, ctrl.signal);
    const run = command.run([
      "--port",
      "0",
      "--data-dir",
      cwd,
      "--log-retention-check-interval-ms",
      "250",
      "--log-cleaner-backoff-ms",
      "125",
    ], env);
    let port: number | undefined;
    const start = Date.now();
    while (port === undefined) {
      assert.ok(Date.now() - start < 5000, "the broker started");
      const m = env.err.join("").match(/listening on 127\.0\.0\.1:(\d+)/);
      if (m) port = Number(m[1]);
      else await new Promise((r) => setTimeout(r, 10));
    }
    const admin = kafkaFor(`127.0.0.1:${port}`).admin();
    try {
      await admin.connect();
      const { resources } = await admin.describeConfigs({
        resources: [{
          type: 4,
          name: "1",
          configNames: ["log.retention.check.interval.ms", "log.cleaner.backoff.ms"],
        }],
        includeSynonyms: false,
      });
      assert.deepEqual(
        resources[0].configEntries.map((e) => [e.configName, e.configValue]),
        [["log.retention.check.interval.ms", "250"], ["log.cleaner.backoff.ms", "125"]],
      );
    } finally {
      await admin.disconnect();
      ctrl.abort();
      assert.equal(await run, 0);
    }
  });
});

Deno.test("sa broker rejects bad retention/cleaner periods with a usage error", async () => {
  const env = captureEnv("/tmp");
  for (
    const [argv, text] of [
      [
        ["--log-retention-check-interval-ms", "0"],
        '--log-retention-check-interval-ms must be an integer >= 1, not "0"',
      ],
      [
        ["--log-cleaner-backoff-ms", "soon"],
        '--log-cleaner-backoff-ms must be an integer >= 1, not "soon"',
      ],
    ] as const
  ) {
    await assert.rejects(
      () => command.run([...argv], env),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message.includes(text),
      argv.join(" "),
    );
  }
});
