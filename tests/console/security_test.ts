import assert from "node:assert/strict";
import { api, withConsole } from "./_console.ts";
import { check, isLoopback } from "../../lib/console/auth.ts";

Deno.test("console security: a token guards reads and writes; ?token= sets a cookie", async () => {
  await withConsole(async (c) => {
    const base = `http://127.0.0.1:${c.port}`;
    let res = await fetch(`${base}/api/topics`);
    assert.equal(res.status, 401);
    assert.match((await res.json()).error, /token is required/);
    res = await fetch(`${base}/api/topics`, { headers: { authorization: "Bearer wrong" } });
    assert.equal(res.status, 401);
    await res.body?.cancel();
    res = await fetch(`${base}/`);
    assert.equal(res.status, 401);
    await res.body?.cancel();
    res = await fetch(`${base}/?token=secret-token`);
    assert.equal(res.status, 200);
    const cookie = res.headers.get("set-cookie")!;
    assert.match(cookie, /^sa_console_token=secret-token; HttpOnly; SameSite=Strict/);
    await res.body?.cancel();
    res = await fetch(`${base}/api/topics`, { headers: { cookie: cookie.split(";")[0] } });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const r = await api(c, "/api/topics"); // with the bearer token
    assert.equal(r.status, 200);
    assert.match(c.url, /\?token=secret-token$/);
  }, { token: "secret-token" });
});

Deno.test("console security: writes refuse cross-origin requests; the Host is checked", async () => {
  await withConsole(async (c) => {
    let r = await api(c, "/api/topics", {
      method: "POST",
      json: { name: "x" },
      headers: { origin: "http://evil.example" },
    });
    assert.equal(r.status, 403);
    assert.equal(r.body.error, "refused: cross-origin write from http://evil.example");
    r = await api(c, "/api/topics", {
      method: "POST",
      json: { name: "x" },
      headers: { origin: `http://127.0.0.1:${c.port}` },
    });
    assert.equal(r.status, 201);
    // Reads from another origin are fine for the server (the browser keeps the answer from it).
    r = await api(c, "/api/topics", { headers: { origin: "http://evil.example" } });
    assert.equal(r.status, 200);
    // DNS rebinding: a loopback console refuses another Host name.
    const rebound = new Request("http://evil.example/api/topics", {
      headers: { host: "evil.example" },
    });
    const res = check(rebound, new URL(rebound.url), {
      token: null,
      readOnly: false,
      loopback: true,
    });
    assert.equal(res?.status, 403);
    assert.match((await res!.json()).error, /Host "evil.example"/);
    // The live-tail socket is origin-checked too.
    const req = new Request(`http://127.0.0.1:${c.port}/api/topics/t/live`, {
      headers: { upgrade: "websocket", origin: "http://evil.example", host: `127.0.0.1:${c.port}` },
    });
    const refused = check(
      req,
      new URL(req.url),
      { token: null, readOnly: false, loopback: true },
      true,
    );
    assert.equal(refused?.status, 403);
  });
});

Deno.test("console security: --read-only refuses every write and says so", async () => {
  await withConsole(async (c) => {
    assert.equal((await api(c, "/api/health")).body.readOnly, true);
    const page = await api(c, "/");
    assert.match(page.body, /<meta name="sa-read-only" content="true">/);
    for (
      const [method, path, json] of [
        ["POST", "/api/topics", { name: "x" }],
        ["DELETE", "/api/topics/sensors", undefined],
        ["POST", "/api/topics/sensors/messages", { value: "v" }],
        ["POST", "/api/topics/sensors/import", undefined],
        ["POST", "/api/topics/sensors/replay", { target: "empty" }],
        ["POST", "/api/groups/g/reset", { to: "earliest" }],
      ] as const
    ) {
      const r = await api(c, path, { method, json, body: json ? undefined : "{}" });
      assert.equal(r.status, 403, path);
      assert.equal(r.body.error, "refused: the console is read-only");
    }
    assert.equal((await api(c, "/api/topics")).body.length, 2);
  }, { readOnly: true });
});

Deno.test("console security: loopback hosts", () => {
  assert.ok(isLoopback("127.0.0.1") && isLoopback("localhost") && isLoopback("[::1]"));
  assert.ok(!isLoopback("0.0.0.0") && !isLoopback("192.168.1.4"));
});
