import assert from "node:assert/strict";
import { command } from "../../lib/cli/broker.ts";
import { CliError } from "../../lib/cli/_command.ts";
import { captureEnv, withTempDir } from "./_helpers.ts";

async function waitFor<T>(f: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("timed out");
}

Deno.test("sa broker: relative data dir, listening line, serves, stops on abort", async () => {
  await withTempDir(async (cwd) => {
    const ctrl = new AbortController();
    const env = captureEnv(cwd, {}, ctrl.signal);
    const err = env.err;
    const run = command.run(["--port", "0", "--data-dir", "data", "--partitions", "3"], env);
    const port = await waitFor(() => {
      const m = err.join("").match(/listening on 127\.0\.0\.1:(\d+)/);
      return m ? Number(m[1]) : undefined;
    });
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    // ApiVersions v0 request, correlation 1, no client id.
    await conn.write(new Uint8Array([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]));
    const buf = new Uint8Array(8);
    assert.equal(await conn.read(buf), 8);
    assert.deepEqual([...buf.subarray(4)], [0, 0, 0, 1]);
    conn.close();
    await waitFor(() => err.join("").includes("closed: client closed") || undefined);
    ctrl.abort();
    assert.equal(await run, 0);
    const out = err.join("");
    assert.match(out, /connection opened from 127\.0\.0\.1:\d+/);
    assert.match(out, /broker stopped/);
    assert.doesNotMatch(out, /no authentication/);
    assert.ok((await Deno.stat(`${cwd}/data/meta.json`)).isFile);
  });
});

Deno.test("sa broker warns when bound to a non-loopback address", async () => {
  await withTempDir(async (cwd) => {
    const ctrl = new AbortController();
    const env = captureEnv(cwd, {}, ctrl.signal);
    const err = env.err;
    const run = command.run(["--host", "0.0.0.0", "--port", "0", "--data-dir", cwd], env);
    await waitFor(() => err.join("").includes("listening on") || undefined);
    ctrl.abort();
    assert.equal(await run, 0);
    assert.match(err.join(""), /WARN .*no authentication/);
  });
});

Deno.test("sa broker rejects bad options with a usage error", async () => {
  const env = captureEnv("/tmp");
  for (
    const [argv, text] of [
      [["--fsync", "sometimes"], '--fsync must be "always" or "interval", not "sometimes"'],
      [["--partitions", "0"], "--partitions must be an integer >= 1"],
      [["--port", "70000"], "--port must be at most 65535"],
      [["--metrics-port", "70000"], "--metrics-port must be at most 65535"],
      [["--metrics-port", "x"], '--metrics-port must be an integer >= 0, not "x"'],
      [
        ["--group-initial-rebalance-delay-ms", "soon"],
        '--group-initial-rebalance-delay-ms must be an integer >= 0, not "soon"',
      ],
      [["--bogus"], "Unknown option '--bogus'"],
    ] as const
  ) {
    await assert.rejects(
      () => command.run([...argv], env),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message.includes(text),
      argv.join(" "),
    );
  }
});

Deno.test("sa broker reports a port already in use", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await withTempDir(async (cwd) => {
      await assert.rejects(
        () => command.run(["--port", String(busy.addr.port), "--data-dir", cwd], captureEnv(cwd)),
        (e: unknown) => e instanceof CliError && e.message.includes("is already in use"),
      );
    });
  } finally {
    busy.close();
  }
});

Deno.test("sa broker --metrics-port serves /metrics; a busy metrics port is named", async () => {
  await withTempDir(async (cwd) => {
    const ctrl = new AbortController();
    const env = captureEnv(cwd, {}, ctrl.signal);
    const run = command.run(["--port", "0", "--metrics-port", "0", "--data-dir", cwd], env);
    const port = await waitFor(() => {
      const m = env.err.join("").match(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/);
      return m ? Number(m[1]) : undefined;
    });
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /# TYPE kafka_consumergroup_group_lag_seconds gauge/);
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      await withTempDir(async (other) => {
        await assert.rejects(
          () =>
            command.run(
              ["--port", "0", "--metrics-port", String(busy.addr.port), "--data-dir", other],
              captureEnv(other),
            ),
          (e: unknown) =>
            e instanceof CliError &&
            e.message.startsWith(
              `--metrics-port: cannot serve metrics on 127.0.0.1:${busy.addr.port}`,
            ),
        );
      });
    } finally {
      busy.close();
    }
    ctrl.abort();
    assert.equal(await run, 0);
  });
});

Deno.test("sa broker as a process stops cleanly on SIGTERM", async () => {
  await withTempDir(async (cwd) => {
    const cli = new URL("../../cli.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, "broker", "--port", "0", "--data-dir", cwd],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!/listening on 127\.0\.0\.1:\d+/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    assert.match(text, /listening on/);
    child.kill("SIGTERM");
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    const status = await child.status;
    assert.equal(status.code, 0, text);
    assert.match(text, /broker stopped/);
  });
});

Deno.test("sa broker refuses a data dir another broker is using", async () => {
  await withTempDir(async (cwd) => {
    const ctrl = new AbortController();
    const first = captureEnv(cwd, {}, ctrl.signal);
    const run = command.run(["--port", "0", "--data-dir", cwd], first);
    await waitFor(() => first.err.join("").includes("listening on") || undefined);
    await assert.rejects(
      () => command.run(["--port", "0", "--data-dir", cwd], captureEnv(cwd)),
      (e: unknown) =>
        e instanceof CliError && e.message.includes("already used by another running broker"),
    );
    ctrl.abort();
    assert.equal(await run, 0);
  });
});

Deno.test("sa broker: limit flags are validated and applied", async () => {
  const bad = captureEnv("/tmp");
  for (
    const [argv, text] of [
      [["--memory-limit", "8"], "--memory-limit must be an integer >= 16"],
      [["--max-connections", "0"], "--max-connections must be an integer >= 1"],
      [["--idle-timeout-ms", "x"], "--idle-timeout-ms must be an integer >= 1"],
      [["--max-open-files", "0"], "--max-open-files must be an integer >= 1"],
    ] as const
  ) {
    await assert.rejects(
      () => command.run([...argv], bad),
      (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message.includes(text),
      argv.join(" "),
    );
  }
  await withTempDir(async (cwd) => {
    const ctrl = new AbortController();
    const env = captureEnv(cwd, {}, ctrl.signal);
    const err = env.err;
    const run = command.run(
      ["--port", "0", "--data-dir", "data", "--max-connections", "1", "--memory-limit", "64"],
      env,
    );
    const port = await waitFor(() => {
      const m = err.join("").match(/listening on 127\.0\.0\.1:(\d+)/);
      return m ? Number(m[1]) : undefined;
    });
    const first = await Deno.connect({ hostname: "127.0.0.1", port });
    await first.write(new Uint8Array([0, 0, 0, 10, 0, 18, 0, 0, 0, 0, 0, 1, 0xff, 0xff]));
    assert.equal(await first.read(new Uint8Array(8)), 8);
    const second = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.equal(await second.read(new Uint8Array(8)), null, "past --max-connections: closed");
    second.close();
    first.close();
    ctrl.abort();
    assert.equal(await run, 0);
    assert.match(err.join(""), /connection limit 1 reached/);
  });
});
