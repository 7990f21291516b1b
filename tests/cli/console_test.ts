import assert from "node:assert/strict";
import { command as consoleCmd } from "../../lib/cli/console.ts";
import { captureEnv, runCommand, withTempDir } from "./_helpers.ts";
import { withBroker } from "./_broker.ts";

Deno.test("sa console: serves until stopped, prints its URL; read-only says so", async () => {
  await withTempDir((dir) =>
    withBroker(async (address) => {
      const ac = new AbortController();
      const env = captureEnv(dir, {}, ac.signal);
      const run = consoleCmd.run(["--port", "0", "--broker", address, "--read-only"], env);
      let url: string | undefined;
      while (!url) {
        url = /Console on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(env.out.join(""))?.[1];
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(env.out.join(""), new RegExp(`\\(broker ${address}, read-only\\)`));
      const health = await (await fetch(`${url}api/health`)).json();
      assert.equal(health.readOnly, true);
      ac.abort();
      assert.equal(await run, 0);
    })
  );
});

Deno.test("sa console: bad options are one-line errors", async () => {
  await withTempDir(async (dir) => {
    let r = await runCommand(consoleCmd, ["--port", "70000"], dir);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "sa console: --port must be at most 65535, not 70000\n");
    r = await runCommand(consoleCmd, ["--port", "x"], dir);
    assert.equal(r.code, 2);
    r = await runCommand(consoleCmd, ["--broker", "nohost"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid broker address "nohost"/);
    r = await runCommand(consoleCmd, ["extra"], dir);
    assert.equal(r.code, 2);
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (busy.addr as Deno.NetAddr).port;
      r = await runCommand(consoleCmd, ["--port", String(port), "--broker", "127.0.0.1:1"], dir);
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `sa console: port ${port} is in use; pick another with --port\n`);
    } finally {
      busy.close();
    }
  });
});
