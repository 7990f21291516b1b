import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { AppSandbox } from "../../lib/runner/sandbox.ts";
import { projectFileReads, sandboxGrant } from "../../lib/runner/permissions.ts";
import { parsePort } from "../../apps/gateway.ts";
import { consumeUntil, demoLines, tempBroker } from "./_helpers.ts";
import { freePort } from "../_services.ts";

const GATEWAY = fileURLToPath(new URL("../../apps/gateway.ts", import.meta.url));
const REPLAY = fileURLToPath(new URL("../../apps/replay.ts", import.meta.url));
const PROCESS = fileURLToPath(new URL("./_gateway_process.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

async function sandboxed(
  name: string,
  entry: string,
  broker: string,
  vars: Record<string, string>,
  allowNet: string[] = [],
): Promise<{ app: AppSandbox; output: () => string }> {
  let out = "";
  // As sa run does: a state folder the app may write, named by SA_STATE_DIR.
  const stateDir = await Deno.makeTempDir({ prefix: `sa-${name}-` });
  const app = await AppSandbox.load({
    name,
    entry,
    // As sa run does: the project files the variables name are readable (the recording).
    grant: sandboxGrant({
      entry,
      brokers: [broker],
      allowNet,
      stateDir,
      extraRead: projectFileReads(ROOT, vars),
    }),
    onOutput: (_s, t) => void (out += t),
  });
  app.start(vars, { SA_BROKER: broker, SA_STATE_DIR: stateDir, SA_PROJECT_DIR: ROOT });
  app.done.finally(() => Deno.remove(stateDir, { recursive: true }).catch(() => {}));
  return { app, output: () => out };
}

async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("gateway: port variable is validated", () => {
  assert.equal(parsePort("8080"), 8080);
  assert.throws(() => parsePort("http"), /port must be a port number/);
});

Deno.test("gateway: the demo recording posted as the phone does leaves the same messages as replay", async () => {
  const lines = await demoLines();
  const broker = await tempBroker();
  const port = freePort();
  let gw: AppSandbox | undefined;
  let rp: AppSandbox | undefined;
  try {
    const g = await sandboxed("gateway", GATEWAY, broker.address, {
      output: "raw-data",
      host: "127.0.0.1",
      port: String(port),
      token: "tok",
    }, [`127.0.0.1:${port}`]);
    gw = g.app;
    await until(() => g.output().includes("/tok/data"), "the gateway's URL");
    assert.match(g.output(), new RegExp(`http://127\\.0\\.0\\.1:${port}/tok/data`));
    // One POST per message, in order, as Sensor Logger pushes; each answered before the next.
    for (const line of lines) {
      const res = await fetch(`http://127.0.0.1:${port}/tok/data`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: line,
      });
      assert.equal(res.status, 200, await res.text());
    }
    const r = await sandboxed("replay", REPLAY, broker.address, {
      output: "raw-replay",
      file: "demo_stream.json",
      speed: "0",
      loop: "false",
    });
    rp = r.app;
    assert.deepEqual(await rp.done, { kind: "exited" });
    const read = (topic: string) =>
      consumeUntil(broker.address, topic, (v) => v.length >= lines.length);
    const [viaGateway, viaReplay] = await Promise.all([read("raw-data"), read("raw-replay")]);
    assert.equal(viaGateway.length, lines.length);
    assert.deepEqual(viaGateway, viaReplay);
    await gw.stop();
    assert.match(g.output(), new RegExp(`${lines.length} accepted, 0 duplicates`));
  } finally {
    gw?.kill();
    rp?.kill();
    await broker.close();
  }
});

Deno.test("gateway: kill -9 under load, every message answered 200 is in the topic", async () => {
  const broker = await tempBroker();
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      PROCESS,
      JSON.stringify({ output: "raw-data", host: "127.0.0.1", port: String(port), token: "" }),
    ],
    env: { SA_BROKER: broker.address, SA_LOG_LEVEL: "ERROR", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let out = "";
  const drained = (async () => {
    for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) out += c;
  })();
  const acked = new Set<string>();
  let stopped = false;
  try {
    await until(() => out.includes(`127.0.0.1:${port}/data`), "the gateway to listen");
    // Eight phones post as fast as they are answered; the gateway dies mid-stream.
    const phone = async (session: string) => {
      for (let id = 0; !stopped; id++) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/data`, {
            method: "POST",
            body: JSON.stringify({ messageId: id, sessionId: session, payload: [] }),
          });
          if (res.status === 200) acked.add(`${session}/${id}`);
          await res.body?.cancel();
        } catch {
          return; // connection refused or reset: the gateway is gone
        }
      }
    };
    const phones = Array.from({ length: 8 }, (_, i) => phone(`phone-${i}`));
    await until(() => acked.size >= 400, "400 acknowledged messages");
    child.kill("SIGKILL");
    await child.status;
    stopped = true;
    await Promise.all(phones);
    const present = new Set<string>();
    const missing = () => [...acked].filter((id) => !present.has(id));
    await consumeUntil(broker.address, "raw-data", (values) => {
      for (const v of values.slice(present.size)) {
        const m = JSON.parse(v);
        present.add(`${m.sessionId}/${m.messageId}`);
      }
      return missing().length === 0;
    }, 15_000).catch(() => {});
    assert.deepEqual(missing(), [], `acknowledged but lost: ${missing().length} of ${acked.size}`);
  } finally {
    stopped = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await drained.catch(() => {});
    await broker.close();
  }
});

/** True when this machine lets an unprivileged test make a private network namespace. */
function canUnshareNet(): boolean {
  try {
    return new Deno.Command("unshare", { args: ["-rn", "ip", "link", "set", "lo", "up"] })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "gateway: bound to 0.0.0.0 it refuses requests without the token and accepts it in the URL",
  // In a private network namespace (only its own loopback), so 0.0.0.0 reaches no real network.
  ignore: !canUnshareNet(),
  async fn() {
    const script = fileURLToPath(new URL("./_gateway_netns.ts", import.meta.url));
    const out = await new Deno.Command("unshare", {
      args: [
        "-rn",
        "sh",
        "-c",
        `ip link set lo up && exec "$0" run -A "$1"`,
        Deno.execPath(),
        script,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(text);
    assert.match(r.token, /^[0-9a-f]{24}$/);
    assert.ok(r.printed.includes(`/${r.token}/data`), r.printed);
    assert.deepEqual(
      [r.withoutToken, r.wrongToken, r.tokenInPath, r.tokenInQuery],
      [401, 401, 200, 200],
    );
  },
});
