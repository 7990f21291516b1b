import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { AppSandbox, SandboxError } from "../../lib/runner/sandbox.ts";
import {
  appRuntimeEnv,
  deploymentHttpPort,
  parseDenial,
  sandboxGrant,
} from "../../lib/runner/permissions.ts";
import { SECURITY_ENV } from "../../lib/stream/kafka/security.ts";
import { lanAddresses } from "../../lib/util/lan.ts";

const fixture = (name: string) =>
  fileURLToPath(new URL(`./fixtures/${name}/app.ts`, import.meta.url));

function includes(text: string, part: string): void {
  assert.ok(
    text.includes(part),
    `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
  );
}

/**
 * Loads fixtures/<dir>/app.ts as app `name`, granted only a broker nobody listens on (and
 * `allowNet`); `onOutput` captures its output (without it, output is not captured).
 */
function load(
  dir: string,
  name: string,
  onOutput?: (stream: "stdout" | "stderr", text: string) => void,
  allowNet?: string[],
): Promise<AppSandbox> {
  const entry = fixture(dir);
  const grant = sandboxGrant({ entry, brokers: ["127.0.0.1:9"], allowNet });
  return AppSandbox.load({ name, entry, grant, onOutput });
}

/** The SandboxError that loading fixtures/<dir>/app.ts fails with. */
async function loadError(dir: string): Promise<SandboxError> {
  const err = await load(dir, "x").then(
    () => assert.fail("expected the load to fail"),
    (e) => e,
  );
  assert.ok(err instanceof SandboxError);
  return err;
}

function collect() {
  const out: string[] = [];
  return { out, onOutput: (_s: "stdout" | "stderr", text: string) => void out.push(text) };
}

Deno.test("sandbox: loads an app, reports its variables, runs it with its own env view", async () => {
  const { out, onOutput } = collect();
  const app = await load("echo", "echo", onOutput);
  assert.deepEqual(app.definition.name, "echo");
  assert.deepEqual(app.definition.variables.map((v) => v.name), ["greeting"]);
  app.start({ greeting: "hi" }, { SA_BROKER: "127.0.0.1:9" });
  assert.deepEqual(await app.done, { kind: "exited" });
  const text = out.join("");
  includes(text, "greeting=hi env=hi broker=127.0.0.1:9 data=own data\n");
  includes(text, "to stderr\n");
});

Deno.test("sandbox: reading outside the app folder fails naming the read permission", async () => {
  const app = await load("outside_read", "reader", () => {});
  app.start({ path: "/etc/hostname" });
  const exit = await app.done;
  assert.ok(exit.kind === "failed");
  assert.ok(exit.denied);
  includes(exit.message, `app "reader" was denied read access to "/etc/hostname"`);
  includes(exit.message, "Put the file in the app's folder");
});

Deno.test("sandbox: fetching a host that is not declared fails naming the net permission", async () => {
  const app = await load("fetcher", "fetcher", () => {});
  app.start({ url: "http://example.com:8080/" });
  const exit = await app.done;
  assert.ok(exit.kind === "failed");
  assert.ok(exit.denied);
  includes(exit.message, `denied net access to "example.com:8080"`);
  includes(exit.message, "allowNet");
});

Deno.test("sandbox: a host declared in allowNet is reachable", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("pong"),
  );
  try {
    const addr = `127.0.0.1:${server.addr.port}`;
    const { out, onOutput } = collect();
    const app = await load("fetcher", "fetcher", onOutput, [addr]);
    app.start({ url: `http://${addr}/` });
    assert.deepEqual(await app.done, { kind: "exited" });
    assert.deepEqual(out.join(""), "pong\n");
  } finally {
    await server.shutdown();
  }
});

Deno.test("sandbox: a module that is not an app is rejected with the file name", async () => {
  const err = await loadError("not_app");
  includes(err.message, fixture("not_app"));
  includes(err.message, "not an app");
});

Deno.test("sandbox: a missing module is reported with its path", async () => {
  const err = await loadError("does_not_exist");
  includes(err.message, "does_not_exist/app.ts");
});

Deno.test("sandbox: stop aborts the app's signal and waits for it to return", async () => {
  const { out, onOutput } = collect();
  const app = await load("forever", "forever", onOutput);
  app.start({});
  while (!out.join("").includes("running")) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(await app.stop(5000), { kind: "exited" });
  includes(out.join(""), "stopped cleanly");
});

Deno.test("sandbox: an app that throws is reported as failed with its message", async () => {
  const app = await load("crash", "crash", () => {});
  app.start({});
  const exit = await app.done;
  assert.ok(exit.kind === "failed");
  assert.deepEqual(exit.denied, false);
  assert.match(exit.message, /boom/);
});

Deno.test("parseDenial: recognises Deno's permission messages", () => {
  assert.deepEqual(
    parseDenial(`Requires read access to "/etc/x", run again with the --allow-read flag`),
    { permission: "read", target: "/etc/x" },
  );
  assert.deepEqual(
    parseDenial(
      `Connection error: Requires net access to "h:9092", run again with the --allow-net flag`,
    ),
    { permission: "net", target: "h:9092" },
  );
  assert.deepEqual(parseDenial("Requires env access, run again with the --allow-env flag"), {
    permission: "env",
  });
  assert.deepEqual(parseDenial("something else"), null);
});

Deno.test("sandboxGrant: broker localhost aliases, allowNet, app folder and toolkit sources", () => {
  const g = sandboxGrant({
    entry: "/p/apps/x/main.ts",
    brokers: ["localhost:19092"],
    allowNet: ["api.example.com:443"],
    variableNames: ["input"],
    stateDir: "/p/.sa/state/x",
  });
  assert.deepEqual(g.net.sort(), ["127.0.0.1:19092", "api.example.com:443", "localhost:19092"]);
  assert.deepEqual(g.read[0], "/p/apps/x");
  assert.ok(g.read.some((p) => p.endsWith("/lib")));
  assert.deepEqual(g.write, ["/p/.sa/state/x"]);
  assert.ok(g.env.includes("input") && g.env.includes("SA_BROKER"));
});

Deno.test("appRuntimeEnv: broker and state folder under the sa and Quix names, all granted", () => {
  const env = appRuntimeEnv("127.0.0.1:9092", "/p/.sa/state/normalize");
  const lan = lanAddresses();
  assert.deepEqual(env, {
    SA_BROKER: "127.0.0.1:9092",
    Quix__Broker__Address: "127.0.0.1:9092",
    SA_STATE_DIR: "/p/.sa/state/normalize",
    Quix__Deployment__State__Path: "/p/.sa/state/normalize",
    ...(lan.length ? { SA_LAN_ADDRESSES: lan.join(",") } : {}),
  });
  const granted = sandboxGrant({ entry: "/p/apps/normalize.ts", brokers: [] }).env;
  for (const name of Object.keys(env)) assert(granted.includes(name), `${name} not granted`);
});

Deno.test("sandboxGrant: an app with SA_HTTP_PORT may listen on it at 127.0.0.1", () => {
  const vars = [{ name: "SA_HTTP_PORT", value: "8090" }];
  const g = sandboxGrant({
    entry: "/p/apps/views.ts",
    brokers: [],
    variableNames: ["SA_HTTP_PORT"],
    httpPort: deploymentHttpPort(vars),
  });
  assert.ok(g.net.includes("127.0.0.1:8090"), g.net.join(","));
  assert.equal(deploymentHttpPort([{ name: "SA_HTTP_PORT", value: "x" }]), undefined);
  assert.equal(deploymentHttpPort([]), undefined);
});

Deno.test("sandboxGrant: every variable the runtime reads is granted to the sandbox", async () => {
  // A name the runtime reads but the sandbox denies is silently ignored (readEnv swallows the
  // denial): SA_COMMIT_INTERVAL=1000 sa run app.ts used to keep the 5 s default.
  const root = new URL("../../lib/stream/", import.meta.url);
  const read: string[] = [];
  async function scan(dir: URL): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await scan(new URL(`${e.name}/`, dir));
      else if (e.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(new URL(e.name, dir));
        for (const m of text.matchAll(/readEnv\("([A-Za-z0-9_]+)"\)/g)) read.push(m[1]);
      }
    }
  }
  await scan(root);
  await scan(new URL("../../lib/serve/", import.meta.url));
  assert.ok(read.includes("SA_HTTP_PORT"), "the scan covers the app's HTTP server");
  assert.ok(read.includes("SA_BROKER"), "the scan found the runtime's readEnv calls");
  // Connection security is read through a lookup function (SECURITY_ENV), not readEnv("...").
  read.push(...Object.values(SECURITY_ENV));
  const granted = sandboxGrant({ entry: "/p/apps/normalize.ts", brokers: [] }).env;
  assert.deepEqual([...new Set(read)].filter((n) => !granted.includes(n)), []);
});
