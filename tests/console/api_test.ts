import assert from "node:assert/strict";
import { api, BASE, withConsole } from "./_console.ts";
import { kafkaFor } from "../../lib/cli/_kafka.ts";

Deno.test("console API: health, overview and topics (list, describe, create, delete)", async () => {
  await withConsole(async (c, address) => {
    let r = await api(c, "/api/health");
    assert.equal(r.status, 200);
    assert.equal(r.body.readOnly, false);
    r = await api(c, "/api/topics");
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.map((t: { name: string; partitions: number; messages: number }) => [
        t.name,
        t.partitions,
        t.messages,
      ]),
      [["empty", 1, 0], ["sensors", 2, 6]],
    );
    r = await api(c, "/api/topics/sensors");
    assert.deepEqual(
      r.body.partitionOffsets.map((p: { low: number; high: number }) => [p.low, p.high]),
      [
        [0, 5],
        [0, 1],
      ],
    );
    assert.equal(typeof r.body.cleanupPolicy, "string");
    r = await api(c, "/api/topics/nope");
    assert.equal(r.status, 404);
    assert.equal(r.body.error, `no topic "nope" on ${address}`);
    r = await api(c, "/api/topics", {
      method: "POST",
      json: { name: "made", partitions: 3, configs: { "retention.ms": "60000" } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    r = await api(c, "/api/topics/made");
    assert.equal(r.body.partitions, 3);
    assert.equal(r.body.retentionMs, 60000);
    r = await api(c, "/api/topics", { method: "POST", json: { name: "made" } });
    assert.equal(r.status, 409);
    r = await api(c, "/api/topics", { method: "POST", json: { name: "bad name" } });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /invalid topic name "bad name"/);
    r = await api(c, "/api/topics", {
      method: "POST",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /not JSON/);
    r = await api(c, "/api/topics/made", { method: "DELETE" });
    assert.equal(r.status, 200);
    r = await api(c, "/api/topics");
    assert.deepEqual(r.body.map((t: { name: string }) => t.name), ["empty", "sensors"]);
    // The sampler has seen the topics; the overview sums them.
    await c.sampler.sample();
    r = await api(c, "/api/overview");
    assert.equal(r.status, 200);
    assert.equal(r.body.broker.address, address);
    assert.equal(r.body.broker.up, true);
    assert.equal(r.body.topics, 2);
    assert.equal(r.body.messages, 6);
    assert.ok(Array.isArray(r.body.rates));
    r = await api(c, "/api/nothing");
    assert.equal(r.status, 404);
  });
});

Deno.test("console API: browse by start, partition, text and JavaScript filters; bad input", async () => {
  await withConsole(async (c) => {
    const get = (q: string) => api(c, `/api/topics/sensors/messages?${q}`);
    let r = await get("");
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.messages.map((m: { offset: number }) => m.offset), [0, 1, 2, 3, 4, 0]);
    const m0 = r.body.messages[0];
    assert.equal(m0.partition, 0);
    assert.equal(m0.timestamp, BASE);
    assert.deepEqual(m0.key, { kind: "text", text: "k0", size: 2 });
    assert.equal(m0.value.kind, "json");
    assert.deepEqual(m0.value.json, { n: 0, accel: { x: 0 } });
    assert.deepEqual(m0.headers, [{ key: "src", value: "phone" }]);
    assert.equal(r.body.messages[5].value.text, "hello");
    r = await get("start=newest&max=2&partition=0");
    assert.deepEqual(r.body.messages.map((m: { offset: number }) => m.offset), [3, 4]);
    r = await get("start=offset&offset=3&partition=0");
    assert.deepEqual(r.body.messages.map((m: { offset: number }) => m.offset), [3, 4]);
    r = await get(`start=timestamp&timestamp=${new Date(BASE + 2500).toISOString()}`);
    assert.deepEqual(r.body.messages.map((m: { key: { text: string } }) => m.key.text), [
      "k3",
      "k4",
      "k9",
    ]);
    r = await get("max=2");
    assert.equal(r.body.messages.length, 2);
    r = await get("q=HELLO");
    assert.deepEqual(r.body.messages.map((m: { key: { text: string } }) => m.key.text), ["k9"]);
    r = await get("q=phone");
    assert.equal(r.body.messages.length, 5);
    r = await get(`filter=${encodeURIComponent("value.accel && value.accel.x > 3")}`);
    assert.deepEqual(r.body.messages.map((m: { offset: number }) => m.offset), [3, 4]);
    r = await get(`filter=${encodeURIComponent("if (key === 'k1') return true; return false")}`);
    assert.deepEqual(r.body.messages.map((m: { key: { text: string } }) => m.key.text), ["k1"]);
    // The filter has no permissions.
    r = await get(`filter=${encodeURIComponent("Deno.readTextFileSync('/etc/hostname')")}`);
    assert.equal(r.status, 400);
    assert.match(
      r.body.error,
      /^filter: at partition \d offset 0: .*(Requires read access|NotCapable)/,
    );
    r = await get(`filter=${encodeURIComponent("value.(")}`);
    assert.equal(r.status, 400);
    assert.match(r.body.error, /^filter: .*SyntaxError|^filter: Unexpected/);
    r = await get(`filter=${encodeURIComponent("(() => { while (true) {} })()")}`);
    assert.equal(r.status, 400);
    assert.match(r.body.error, /took longer than 2000 ms/);
    r = await get("start=offset&offset=-1");
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'bad offset "-1": expected an integer >= 0');
    r = await get("start=timestamp&timestamp=yesterday");
    assert.equal(r.status, 400);
    assert.match(r.body.error, /^bad timestamp "yesterday"/);
    r = await get("start=sideways");
    assert.equal(r.status, 400);
    r = await get("partition=7");
    assert.equal(r.status, 404);
    // The server is still fine.
    r = await get("max=1");
    assert.equal(r.status, 200);
  });
});

Deno.test("console API: produce, huge values truncated with a download, export/import, replay", async () => {
  await withConsole(async (c) => {
    let r = await api(c, "/api/topics/empty/messages", {
      method: "POST",
      json: { key: "a", value: '{"x":1}', headers: { h: "1" }, timestamp: BASE },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.deepEqual(r.body, { partition: 0, offset: 0 });
    r = await api(c, "/api/topics", {
      method: "POST",
      json: { name: "huge", configs: { "max.message.bytes": "4000000" } },
    });
    assert.equal(r.status, 201);
    await api(c, "/api/topics/huge/messages", { method: "POST", json: { value: '{"x":1}' } });
    const big = "x".repeat(1024 * 1024 + 10);
    r = await api(c, "/api/topics/huge/messages", { method: "POST", json: { value: big } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    r = await api(c, "/api/topics/huge/messages");
    const [small, huge] = r.body.messages;
    assert.equal(small.value.kind, "json");
    assert.equal(huge.value.truncated, true);
    assert.equal(huge.value.size, big.length);
    assert.equal(huge.value.text.length, 64 * 1024);
    r = await api(c, "/api/topics/huge/messages/0/1/value");
    assert.equal(r.body, big);
    r = await api(c, "/api/topics/huge/messages/0/9/value");
    assert.equal(r.status, 404);
    // Export the sensors topic, import it into a new topic: keys, headers, timestamps, values.
    const exported = await api(c, "/api/topics/sensors/export");
    assert.equal(exported.status, 200);
    const lines = String(exported.body).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.length, 6);
    assert.deepEqual(lines[0], {
      partition: 0,
      offset: 0,
      timestamp: BASE,
      key: "k0",
      headers: [{ key: "src", value: "phone" }],
      value: { n: 0, accel: { x: 0 } },
    });
    await api(c, "/api/topics", { method: "POST", json: { name: "copy", partitions: 2 } });
    r = await api(c, "/api/topics/copy/import?partitions=keep", {
      method: "POST",
      body: exported.body,
    });
    assert.deepEqual(r.body, { imported: 6 });
    const a = (await api(c, "/api/topics/sensors/messages")).body.messages;
    const b = (await api(c, "/api/topics/copy/messages")).body.messages;
    assert.deepEqual(b, a);
    r = await api(c, "/api/topics/copy/import", {
      method: "POST",
      body: '{"value": 1}\nnot json\n',
    });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /^line 2: /);
    // Replay a dead-letter topic into its source.
    await api(c, "/api/topics", { method: "POST", json: { name: "sensors-dlq" } });
    await api(c, "/api/topics/sensors-dlq/messages", {
      method: "POST",
      json: { key: "dead", value: "again", headers: { error: "boom" } },
    });
    r = await api(c, "/api/topics/sensors-dlq/replay", {
      method: "POST",
      json: { target: "empty" },
    });
    assert.deepEqual(r.body, { replayed: 1 });
    r = await api(c, "/api/topics/empty/messages");
    assert.equal(r.body.messages[0].timestamp, BASE);
    assert.equal(r.body.messages[1].key.text, "dead");
    assert.deepEqual(r.body.messages[1].headers, [{ key: "error", value: "boom" }]);
  });
});

Deno.test("console API: groups with lag and exact lag seconds; reset while empty, refused while running", async () => {
  await withConsole(async (c, address) => {
    const kafka = kafkaFor(address);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await c.ctx.run((_a, reader) =>
        reader.commit("reader", "sensors", [{ partition: 0, offset: 2 }, {
          partition: 1,
          offset: 1,
        }])
      );
      let r = await api(c, "/api/groups");
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 1);
      assert.equal(r.body[0].group, "reader");
      assert.equal(r.body[0].totalLag, 3);
      r = await api(c, "/api/groups/reader");
      const [p0, p1] = r.body.partitions;
      assert.equal(p0.committed, 2);
      assert.equal(p0.end, 5);
      assert.equal(p0.lag, 3);
      // Exact: now minus the timestamp of the record at offset 2 (BASE + 2000).
      const expected = (Date.now() - (BASE + 2000)) / 1000;
      assert.ok(Math.abs(p0.lagSeconds - expected) < 5, `${p0.lagSeconds} vs ${expected}`);
      assert.equal(p1.lag, 0);
      assert.equal(p1.lagSeconds, 0);
      assert.equal(p0.status, "STOP");
      assert.equal(r.body.status, "STOP");
      r = await api(c, "/api/groups/ghost");
      assert.equal(r.status, 404);
      const reset = (json: unknown) => api(c, "/api/groups/reader/reset", { method: "POST", json });
      r = await reset({ to: "earliest" });
      assert.deepEqual(r.body, [{
        topic: "sensors",
        partitions: [{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }],
      }]);
      r = await reset({ to: "latest" });
      assert.deepEqual(r.body[0].partitions.map((p: { offset: number }) => p.offset), [5, 1]);
      r = await reset({ to: "timestamp", timestamp: new Date(BASE + 3000).toISOString() });
      assert.deepEqual(r.body[0].partitions.map((p: { offset: number }) => p.offset), [3, 0]);
      r = await reset({ to: "offset", offset: 1, topic: "sensors", partition: 0 });
      assert.deepEqual(r.body[0].partitions, [{ partition: 0, offset: 1 }]);
      const [committed] = await admin.fetchOffsets({ groupId: "reader", topics: ["sensors"] });
      assert.deepEqual(committed.partitions.map((p) => p.offset).sort(), ["0", "1"]);
      r = await reset({ to: "sideways" });
      assert.equal(r.status, 400);
      r = await reset({ to: "timestamp", timestamp: "soon" });
      assert.equal(r.status, 400);
      assert.match(r.body.error, /^bad timestamp "soon"/);
      // A running member: refused.
      const consumer = kafka.consumer({ groupId: "reader", maxWaitTimeInMs: 100 });
      await consumer.connect();
      const joined = new Promise<void>((res) =>
        consumer.on(consumer.events.GROUP_JOIN, () => res())
      );
      await consumer.subscribe({ topic: "sensors" });
      await consumer.run({ autoCommit: false, eachMessage: () => Promise.resolve() });
      await joined;
      try {
        r = await reset({ to: "earliest" });
        assert.equal(r.status, 409);
        assert.match(r.body.error, /^group "reader" is running \(1 member/);
        r = await api(c, "/api/groups/reader");
        assert.equal(r.body.members.length, 1);
        assert.deepEqual(r.body.members[0].assignment.sort(), ["sensors:0", "sensors:1"]);
      } finally {
        await consumer.disconnect();
      }
    } finally {
      await admin.disconnect();
    }
  });
});

Deno.test("console API: live tail sends records produced after it opened, sampled with a count", async () => {
  await withConsole(async (c) => {
    const ws = new WebSocket(`ws://127.0.0.1:${c.port}/api/topics/sensors/live`);
    const frames: {
      type: string;
      messages?: { key: { text: string } }[];
      skipped?: number;
      total?: number;
    }[] = [];
    let wake = () => {};
    ws.onmessage = (e) => {
      frames.push(JSON.parse(e.data));
      wake();
    };
    while (!frames.some((f) => f.type === "ready")) await new Promise<void>((res) => (wake = res));
    await api(c, "/api/topics/sensors/messages", {
      method: "POST",
      json: { key: "live", value: "now" },
    });
    while (!frames.some((f) => f.type === "batch")) await new Promise<void>((res) => (wake = res));
    const batch = frames.find((f) => f.type === "batch")!;
    assert.deepEqual(batch.messages!.map((m) => m.key.text), ["live"]);
    assert.equal(batch.skipped, 0);
    ws.close();
    await new Promise((res) => (ws.onclose = res));
  });
});

Deno.test("console API: pipeline from sa.yaml with edges", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sa_console_" });
  try {
    await Deno.writeTextFile(
      `${dir}/sa.yaml`,
      `deployments:
  - name: normalize
    application: apps/normalize.ts
    deploymentType: Service
    variables:
      - name: input
        inputType: InputTopic
        value: sensors
      - name: output
        inputType: OutputTopic
        value: empty
topics:
  - name: sensors
  - name: empty
`,
    );
    await withConsole(async (c) => {
      await c.ctx.run((_a, reader) =>
        reader.commit("normalize", "sensors", [{ partition: 0, offset: 4 }])
      );
      const r = await api(c, "/api/pipeline");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body.apps.map((a: { name: string; group: string }) => [a.name, a.group]), [
        ["normalize", "normalize"],
      ]);
      assert.deepEqual(r.body.topics, ["empty", "sensors"]);
      const input = r.body.edges.find((e: { to: string }) => e.to === "normalize");
      assert.equal(input.from, "sensors");
      assert.equal(input.lag, 1); // the committed partition: 5 - 4
      assert.ok(
        r.body.edges.some((e: { from: string; to: string }) =>
          e.from === "normalize" && e.to === "empty"
        ),
      );
    }, { projectDir: dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
