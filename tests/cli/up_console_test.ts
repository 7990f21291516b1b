import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnSa } from "../apps/_helpers.ts";
import { withTempDir } from "./_helpers.ts";
import { startUpConsole } from "../../lib/cli/_up_console.ts";
import { withBroker } from "./_broker.ts";

const SA_YAML = "deployments: []\ntopics:\n  - name: raw-data\n";

Deno.test("sa up serves the console and prints its URL; --no-console turns it off", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "sa.yaml"), SA_YAML);
    const proc = spawnSa(["up", "--port", "0", "--console-port", "0"], dir);
    try {
      await proc.waitFor((_o, err) => /ready in \d+ ms/.test(err));
      const url = /sa +\| console on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(proc.stderr())?.[1];
      assert.ok(url, proc.stderr());
      const topics = await (await fetch(`${url}api/topics`)).json();
      assert.deepEqual(topics.map((t: { name: string }) => t.name), ["raw-data"]);
      const pipeline = await (await fetch(`${url}api/pipeline`)).json();
      assert.equal(pipeline.file, join(dir, "sa.yaml"));
      const page = await fetch(url);
      assert.match(await page.text(), /<title>sa console<\/title>/);
    } finally {
      assert.equal((await proc.kill("SIGINT")).code, 0, proc.stderr());
    }
    const quiet = spawnSa(["up", "--port", "0", "--no-console"], dir);
    try {
      await quiet.waitFor((_o, err) => /ready in \d+ ms/.test(err));
      assert.doesNotMatch(quiet.stderr(), /console on/);
    } finally {
      assert.equal((await quiet.kill("SIGINT")).code, 0, quiet.stderr());
    }
  });
});

Deno.test("sa up's console: a busy port is said and another one taken", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (busy.addr as Deno.NetAddr).port;
      const said: string[] = [];
      const c = await startUpConsole(address, dir, port, (t) => said.push(t));
      try {
        assert.ok(c);
        assert.match(
          said[0],
          new RegExp(`^port ${port} is busy; the console takes port \\d+ instead$`),
        );
        assert.match(said[1], /^console on http:\/\/127\.0\.0\.1:\d+\/$/);
        assert.notEqual(new URL(c.url).port, String(port));
        const health = await (await fetch(`${c.url}api/health`)).json();
        assert.equal(health.readOnly, false);
      } finally {
        await c?.close();
        busy.close();
      }
    })
  );
});
