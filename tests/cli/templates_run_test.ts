/**
 * Every app template runs: each is created with `sa apps create`, then its `main` runs against
 * the embedded broker (the replay template runs in walkthrough_test.ts).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { command as apps } from "../../lib/cli/apps.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";
import { loadAppDefinition } from "../../lib/project/manifest.ts";
import type { AppDefinition } from "../../lib/stream/define_app.ts";
import { withBroker } from "./_broker.ts";
import { runCommand, withTempDir } from "./_helpers.ts";

async function create(dir: string, template: string, name: string): Promise<AppDefinition> {
  const r = await runCommand(apps, ["create", template, "-p", `apps/${name}.ts`], dir);
  assert.equal(r.code, 0, r.stderr);
  return await loadAppDefinition(join(dir, `apps/${name}.ts`));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("templates run: starter source → transformation → destination, and file-sink", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const saved = Deno.env.get("SA_BROKER");
      Deno.env.set("SA_BROKER", address);
      const admin = kafkaFor(address).admin();
      await admin.connect();
      const stop = new AbortController();
      const running: Promise<void>[] = [];
      let results: PromiseSettledResult<void>[] = [];
      const run = (app: AppDefinition, vars: Record<string, string>) =>
        running.push(Promise.resolve(app.main(vars, stop.signal)));
      const count = async (topic: string) => {
        if (!(await admin.listTopics()).includes(topic)) return 0;
        return (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
      };
      try {
        const source = await create(dir, "starter-source", "source");
        const transform = await create(dir, "starter-transformation", "transform");
        const destination = await create(dir, "starter-destination", "destination");
        const sink = await create(dir, "file-sink", "sink");
        const files = join(dir, "out");
        run(source, { output: "sensor-data", interval_ms: "5" });
        run(transform, { input: "sensor-data", output: "transformed-data" });
        run(destination, { input: "transformed-data" });
        run(sink, { input: "transformed-data", output_dir: files });
        await until("20 transformed messages", async () => (await count("transformed-data")) >= 20);
        // The file sink flushes at its checkpoint (every 5 s by default): wait for a file.
        await until("a file-sink file", async () => {
          try {
            return (await Array.fromAsync(Deno.readDir(join(files, "transformed-data", "0"))))
              .length > 0;
          } catch {
            return false;
          }
        });
      } finally {
        stop.abort();
        results = await Promise.allSettled(running);
        await admin.disconnect();
        if (saved === undefined) Deno.env.delete("SA_BROKER");
        else Deno.env.set("SA_BROKER", saved);
      }
      // An app that failed (instead of stopping on the signal) fails the test.
      for (const r of results) if (r.status === "rejected") throw r.reason;
      const folder = join(dir, "out", "transformed-data", "0");
      const first = (await Array.fromAsync(Deno.readDir(folder))).map((e) => e.name).sort()[0];
      assert.equal(first, "00000000000000000000.jsonl");
      const rows = (await Deno.readTextFile(join(folder, first))).trimEnd().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert(rows.length > 0);
      // Source → transformation: a numeric reading, doubled, keyed by sensor.
      const row = rows[0];
      assert.equal(row.key, row.value.sensor);
      assert.equal(row.value.doubled, row.value.value * 2);
    })
  );
});
