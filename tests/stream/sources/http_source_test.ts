import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { ConfigurationError } from "../../../lib/stream/errors.ts";
import { HttpSource } from "../../../lib/stream/sources/http_source.ts";
import { isLoopback } from "../../../lib/stream/sources/_net.ts";
import { readTopic, silent, startTestBroker } from "../integration/_util.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

/** Runs an app with one HttpSource into "raw-data" on a test broker; `fn` gets the source. */
async function withGateway(
  options: ConstructorParameters<typeof HttpSource>[0],
  fn: (source: HttpSource, base: string, address: string) => Promise<void>,
): Promise<void> {
  const broker = await startTestBroker({ logger: silent });
  const stateDir = await Deno.makeTempDir({ prefix: "sa-gw-" });
  const stop = new AbortController();
  try {
    const app = new Application({
      brokerAddress: broker.address,
      consumerGroup: "gateway",
      stateDir,
      logLevel: "SILENT",
      handleSignals: false,
    });
    const source = new HttpSource({ port: 0, onListen() {}, ...options });
    app.addSource(source, HttpSource.topic(app, "raw-data"));
    const run = app.run({ signal: stop.signal });
    for (let i = 0; i < 200 && source.port === 0; i++) await new Promise((r) => setTimeout(r, 10));
    try {
      await fn(source, `http://127.0.0.1:${source.port}`, broker.address);
    } finally {
      stop.abort();
      await run;
    }
  } finally {
    await broker.close();
    await Deno.remove(stateDir, { recursive: true });
  }
}

function msg(sessionId: string, messageId: number, x = messageId): string {
  return JSON.stringify({
    messageId,
    sessionId,
    deviceId: "d",
    payload: [{ name: "accelerometer", time: 1715254400000034000, values: { x, y: 0, z: 0 } }],
  });
}

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", body, headers });
  return {
    status: res.status,
    text: await res.text(),
    cors: res.headers.get("access-control-allow-origin"),
  };
}

Deno.test("HttpSource: a non-loopback bind needs a token; loopback does not", () => {
  assertThrows(() => new HttpSource({ hostname: "0.0.0.0" }), ConfigurationError, "token");
  assertThrows(() => new HttpSource({ hostname: "192.168.1.20" }), ConfigurationError, "token");
  assert(new HttpSource({ hostname: "0.0.0.0", token: "t" }).requiresToken);
  assert(!new HttpSource({ hostname: "127.0.0.1" }).requiresToken);
  for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) assert(isLoopback(h), h);
  for (const h of ["0.0.0.0", "::", "10.0.0.2", "192.168.0.1"]) assert(!isLoopback(h), h);
  const s = new HttpSource({ hostname: "10.1.2.3", port: 8080, token: "a b" });
  assertEquals(s.urls(), ["http://10.1.2.3:8080/a%20b/data"]);
});

Deno.test({
  name: "HttpSource: keyed by sessionId or path key, CORS, 499 malformed, 413 too large, dedupe",
  ...opts,
  async fn() {
    await withGateway({ maxBodyBytes: 2000 }, async (source, base, address) => {
      const ok = await post(`${base}/data`, msg("s1", 1));
      assertEquals([ok.status, ok.text, ok.cors], [200, "ok\n", "*"]);
      // Out of order: 3 before 2, both accepted; a repeated 1 and 3 are dropped.
      assertEquals((await post(`${base}/data`, msg("s1", 3))).status, 200);
      assertEquals((await post(`${base}/data`, msg("s1", 2))).status, 200);
      assertEquals((await post(`${base}/data`, msg("s1", 1, 99))).text, "duplicate\n");
      assertEquals((await post(`${base}/data`, msg("s1", 3))).text, "duplicate\n");
      // Same messageId in another session is another message.
      assertEquals((await post(`${base}/data`, msg("s2", 1))).text, "ok\n");
      assertEquals((await post(`${base}/data/my-key`, msg("s3", 1))).status, 200);
      const bad = await post(`${base}/data`, "{not json");
      assertEquals(bad.status, 499);
      assert(bad.text.startsWith("sa gateway: body is not JSON"), bad.text);
      assertEquals((await post(`${base}/data`, "[1,2]")).status, 499);
      assertEquals((await post(`${base}/data`, `{"payload":3}`)).status, 499);
      const big = await post(`${base}/data`, msg("s1", 9).padEnd(2001, " "));
      assertEquals(big.status, 413);
      const pre = await fetch(`${base}/data`, { method: "OPTIONS" });
      await pre.body?.cancel();
      assertEquals(pre.status, 204);
      assertEquals(pre.headers.get("access-control-allow-methods"), "POST, GET, OPTIONS");
      assertEquals((await fetch(`${base}/data`)).status, 405);
      assertEquals(source.stats, { accepted: 5, duplicates: 2, malformed: 3, unauthorized: 0 });
      const records = await readTopic(address, "raw-data", 5);
      assertEquals(records.map((r) => [r.key, JSON.parse(r.value!).messageId]), [
        ["s1", 1],
        ["s1", 3],
        ["s1", 2],
        ["s2", 1],
        ["my-key", 1],
      ]);
      assertEquals(records[0].value, msg("s1", 1));
    });
  },
});

Deno.test({
  name: "HttpSource: a source whose setup fails stops the app and frees the ports already bound",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const stateDir = await Deno.makeTempDir({ prefix: "sa-gw-" });
    const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const app = new Application({
        brokerAddress: broker.address,
        consumerGroup: "gateway",
        stateDir,
        logLevel: "SILENT",
        handleSignals: false,
      });
      const first = new HttpSource({ name: "first", port: 0, onListen() {} });
      const taken = (busy.addr as Deno.NetAddr).port;
      const second = new HttpSource({ name: "second", port: taken, onListen() {} });
      const topic = HttpSource.topic(app, "raw-data");
      app.addSource(first, topic);
      app.addSource(second, topic);
      const err = await assertRejects(() => app.run());
      assert(
        (err as Error).message.includes(`cannot listen on 127.0.0.1:${taken}`),
        (err as Error).message,
      );
      // The first source was running; stopping the app closed its port.
      Deno.listen({ hostname: "127.0.0.1", port: first.port }).close();
    } finally {
      busy.close();
      await broker.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "HttpSource: concurrent retries of one message produce it once",
  ...opts,
  async fn() {
    await withGateway({}, async (source, base, address) => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => post(`${base}/data`, msg("s", 7))),
      );
      assertEquals(answers.filter((a) => a.text === "ok\n").length, 1);
      assert(answers.every((a) => a.status === 200));
      await post(`${base}/data`, msg("s", 8));
      const records = await readTopic(address, "raw-data", 2);
      assertEquals(records.map((r) => JSON.parse(r.value!).messageId), [7, 8]);
      assertEquals(source.stats.duplicates, 19);
    });
  },
});

Deno.test({
  name:
    "HttpSource: with a token, it is required, and accepted in the path, ?token=, X-API-Key, Bearer",
  ...opts,
  async fn() {
    await withGateway({ token: "s3cret" }, async (source, base, address) => {
      assertEquals((await post(`${base}/data`, msg("s", 1))).status, 401);
      assertEquals((await post(`${base}/wrong/data`, msg("s", 1))).status, 401);
      assertEquals((await post(`${base}/data?token=nope`, msg("s", 1))).status, 401);
      assertEquals((await post(`${base}/s3cret/data`, msg("s", 1))).status, 200);
      assertEquals((await post(`${base}/s3cret/data/k`, msg("s", 2))).status, 200);
      assertEquals((await post(`${base}/data?token=s3cret`, msg("s", 3))).status, 200);
      assertEquals(
        (await post(`${base}/data`, msg("s", 4), { "x-api-key": "s3cret" })).status,
        200,
      );
      assertEquals(
        (await post(`${base}/data`, msg("s", 5), { authorization: "Bearer s3cret" })).status,
        200,
      );
      assertEquals(source.urls(), [`http://127.0.0.1:${source.port}/s3cret/data`]);
      assertEquals(source.stats.unauthorized, 3);
      const records = await readTopic(address, "raw-data", 5);
      assertEquals(records.map((r) => r.key), ["s", "k", "s", "s", "s"]);
    });
  },
});

Deno.test({
  name: "HttpSource: WebSocket ingestion acknowledges each frame once the broker has it",
  ...opts,
  async fn() {
    await withGateway({ token: "t" }, async (_source, base, address) => {
      const ws = new WebSocket(`${base.replace("http", "ws")}/t/ws`);
      const replies: Array<{ seq: number; ok: boolean; duplicate?: boolean; status?: number }> = [];
      const done = new Promise<void>((resolve) => {
        ws.onmessage = (e) => {
          replies.push(JSON.parse(e.data));
          if (replies.length === 5) resolve();
        };
      });
      await new Promise((r) => ws.onopen = r);
      ws.send(msg("w", 1));
      ws.send(msg("w", 2));
      ws.send("nope");
      ws.send(msg("w", 1));
      ws.send(msg("w", 3));
      await done;
      ws.close();
      replies.sort((a, b) => a.seq - b.seq);
      assertEquals(replies.map((r) => [r.seq, r.ok]), [
        [1, true],
        [2, true],
        [3, false],
        [4, true],
        [5, true],
      ]);
      assertEquals(replies[2].status, 499);
      assertEquals(replies[3].duplicate, true);
      const records = await readTopic(address, "raw-data", 3);
      assertEquals(records.map((r) => JSON.parse(r.value!).messageId), [1, 2, 3]);
    });
  },
});

Deno.test({
  name: "HttpSource: a WebSocket frame may carry a batch, one message per line, acked as a whole",
  ...opts,
  async fn() {
    await withGateway({}, async (_source, base, address) => {
      const ws = new WebSocket(`${base.replace("http", "ws")}/ws`);
      const replies: Array<Record<string, unknown>> = [];
      const done = new Promise<void>((resolve) => {
        ws.onmessage = (e) => {
          replies.push(JSON.parse(e.data));
          if (replies.length === 3) resolve();
        };
      });
      await new Promise((r) => ws.onopen = r);
      ws.send([msg("b", 1), msg("b", 2), "", msg("b", 3)].join("\n") + "\n");
      ws.send([msg("b", 3), "oops", msg("b", 4)].join("\n"));
      // Pretty-printed JSON is one message, not a batch.
      ws.send(JSON.stringify(JSON.parse(msg("b", 5)), null, 2));
      await done;
      ws.close();
      replies.sort((a, b) => (a.seq as number) - (b.seq as number));
      assertEquals(replies[0], { seq: 1, ok: true, messages: 3, duplicates: 0 });
      assertEquals(replies[1].ok, false);
      assertEquals(replies[1].duplicates, 1);
      assertEquals(
        (replies[1].errors as Array<{ line: number; status: number }>).map((
          e,
        ) => [e.line, e.status]),
        [[2, 499]],
      );
      assertEquals(replies[2], { seq: 3, ok: true });
      const records = await readTopic(address, "raw-data", 5);
      assertEquals(records.map((r) => JSON.parse(r.value!).messageId), [1, 2, 3, 4, 5]);
      assertEquals(records[0].value, msg("b", 1));
    });
  },
});
