import { assert, assertEquals } from "../stream/_assert.ts";
import { Application } from "../../lib/stream/application.ts";
import { MemoryStateBackend } from "../../lib/stream/state/memory.ts";
import { type Frame, kafka, readSse, startTestBroker, until, WsCollector } from "./_helpers.ts";
import { promtoolCheck, samples } from "../util/_promtool.ts";

interface Reading {
  device: string;
  n: number;
  v: number;
}

/**
 * An app whose view holds, per device, the running sum and count of its readings: a stateful
 * computation, so the view must equal what the stream computed, not just the last input.
 */
async function startApp(address: string, group: string, input: string, stateDir?: string) {
  const app = new Application({
    brokerAddress: address,
    consumerGroup: group,
    autoOffsetReset: "earliest",
    // A state dir: the durable backend with changelogs (views restored on assignment).
    ...(stateDir ? { stateDir } : { stateBackend: new MemoryStateBackend() }),
    logLevel: "SILENT",
    commitInterval: 200,
    handleSignals: false,
    http: { port: 0, onListen: (u) => resolveUrl(u) },
  });
  let resolveUrl!: (u: string) => void;
  const url = new Promise<string>((r) => (resolveUrl = r));
  app.dataframe<Reading>(app.topic(input))
    .apply((r, state) => {
      const s = state.get<{ sum: number; count: number }>("agg", { sum: 0, count: 0 })!;
      const next = { sum: s.sum + r.v, count: s.count + 1, lastN: r.n };
      state.set("agg", next);
      return next;
    }, { stateful: true })
    .toView("totals");
  const stop = new AbortController();
  const running = app.run({ signal: stop.signal });
  return {
    app,
    url: await Promise.race([url, running.then(() => "")]),
    async stop() {
      stop.abort();
      await running;
    },
  };
}

/** The independent expectation: per device, sum and count of its values. */
function expected(rows: Reading[]) {
  const out: Record<string, { sum: number; count: number; lastN: number }> = {};
  for (const r of rows) {
    const s = out[r.device] ?? { sum: 0, count: 0, lastN: -1 };
    out[r.device] = { sum: s.sum + r.v, count: s.count + 1, lastN: r.n };
  }
  return out;
}

Deno.test("views: reads equal what the stream computed; read-your-writes; 503 says why", async () => {
  const b = await startTestBroker();
  const k = kafka(b.address);
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "readings", numPartitions: 2 }] });
  await admin.disconnect();
  const producer = k.producer();
  await producer.connect();
  const rows: Reading[] = [];
  const send = async (count: number) => {
    const batch: Reading[] = [];
    for (let i = 0; i < count; i++) {
      const n = rows.length + batch.length;
      batch.push({ device: `d${n % 5}`, n, v: (n * 7) % 13 });
    }
    rows.push(...batch);
    return await producer.send({
      topic: "readings",
      messages: batch.map((r) => ({ key: r.device, value: JSON.stringify(r) })),
    });
  };
  const a = await startApp(b.address, "views-g", "readings");
  try {
    await send(200);
    const want = expected(rows);
    // Wait for everything through the list endpoint's position: 200 records applied.
    let list: Frame = {};
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      list = await (await fetch(`${a.url}/views/totals?limit=10`)).json();
      const applied = Object.values(list.position.offsets as Record<string, number>)
        .reduce((x, y) => x + y, 0);
      if (applied === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals(
      Object.fromEntries(list.entries.map((e: Frame) => [e.key, e.value])),
      want,
    );
    assertEquals(list.more, false);
    const one = await fetch(`${a.url}/views/totals/d3`);
    assertEquals(one.status, 200);
    const body = await one.json();
    assertEquals(body.value, want.d3);
    assertEquals(one.headers.get("x-sa-position"), body.position.cursor);
    const prefix = await (await fetch(`${a.url}/views/totals?prefix=d1&limit=1`)).json();
    assertEquals(prefix.entries.map((e: Frame) => e.key), ["d1"]);

    // Read-your-writes: write, then read at the position just past the written offset.
    for (let i = 0; i < 5; i++) {
      const [meta] = await send(1);
      const last = rows.at(-1)!;
      const min = `${meta.partition}:${Number(meta.baseOffset) + 1}`;
      const res = await fetch(`${a.url}/views/totals/${last.device}?minPosition=${min}`);
      assertEquals(res.status, 200);
      const got = await res.json();
      assertEquals(got.value, expected(rows)[last.device]);
      assert(got.position.offsets[meta.partition] >= Number(meta.baseOffset) + 1);
    }
    // A position that will not be reached in time: 503 with the reason.
    const res = await fetch(`${a.url}/views/totals/d1?minPosition=0:999999&timeout=100`);
    assertEquals(res.status, 503);
    const why = await res.json();
    assert(why.error.includes("did not reach minPosition 0:999999"), why.error);
    assert(why.error.includes("partition 0 is at"), why.error);
    // Errors are one line and name the problem.
    for (
      const [path, status, text] of [
        ["/views/nope/x", 404, 'no view "nope"'],
        ["/views/totals/zz", 404, 'no key "zz"'],
        ["/views/totals?minPosition=a", 400, "minPosition"],
        ["/views/totals?limit=0", 400, "limit"],
      ] as const
    ) {
      const r = await fetch(`${a.url}${path}`);
      const j = await r.json();
      assertEquals(r.status, status, path);
      assert(j.error.includes(text), `${path}: ${j.error}`);
    }
    // The app's /metrics parses, and counts what was processed.
    const metrics = await (await fetch(`${a.url}/metrics`)).text();
    await promtoolCheck(metrics);
    const processed = samples(metrics, "sa_app_messages_processed_total")
      .reduce((s, [, v]) => s + v, 0);
    assertEquals(processed, 205);
    assertEquals(samples(metrics, "sa_app_view_keys")[0][1], 5);
    // Everything produced was processed: no lag on either partition.
    assertEquals(samples(metrics, "sa_app_partition_lag").map(([l, v]) => [l.partition, v]), [
      ["0", 0],
      ["1", 0],
    ]);
    // Checkpoints run every 200 ms: their count and durations show up.
    let checkpoints = 0;
    for (let i = 0; i < 100 && checkpoints === 0; i++) {
      const m = await (await fetch(`${a.url}/metrics`)).text();
      checkpoints = samples(m, "sa_app_checkpoint_duration_seconds_count")[0][1];
      if (checkpoints === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert(checkpoints > 0, "no checkpoint counted");
  } finally {
    await a.stop();
    await producer.disconnect();
    await b.close();
  }
});

Deno.test("views: a subscription gets the snapshot, then every change (SSE and WebSocket)", async () => {
  const b = await startTestBroker();
  const k = kafka(b.address);
  const producer = k.producer();
  await producer.connect();
  const rows: Reading[] = [];
  const send = async (count: number) => {
    const batch: Reading[] = [];
    for (let i = 0; i < count; i++) {
      const n = rows.length + batch.length;
      batch.push({ device: `d${n % 4}`, n, v: n % 10 });
    }
    rows.push(...batch);
    await producer.send({
      topic: "sub-in",
      messages: batch.map((r) => ({ key: r.device, value: JSON.stringify(r) })),
    });
  };
  await send(40);
  const a = await startApp(b.address, "views-sub", "sub-in");
  try {
    const ws = new WsCollector(`${a.url.replace("http", "ws")}/views/totals?watch`);
    await ws.opened;
    const sseRes = await fetch(`${a.url}/views/totals?watch`);
    // The subscriptions may start before, during or after the first 40 are applied: whatever
    // the snapshot holds, snapshot + changes must end equal to the stream's result.
    await until("ws snapshot", () => ws.frames.length >= 1);
    await send(60);
    const want = expected(rows);
    const replay = (frames: Frame[]) => {
      const state: Record<string, unknown> = {};
      assertEquals(frames[0].type, "snapshot");
      for (const e of frames[0].entries) state[e.key] = e.value;
      for (const f of frames.slice(1)) {
        assertEquals(f.type, "change");
        state[f.key] = f.value;
      }
      return state;
    };
    const done = (frames: Frame[]) => {
      try {
        assertEquals(replay(frames), want);
        return true;
      } catch {
        return false;
      }
    };
    await until("ws converges", () => done(ws.frames));
    const sse = await readSse(sseRes, (ev) => done(ev.map((e) => e.data)));
    assert(done(sse.map((e) => e.data)));
    // Every change: each one is the state right after one input message of that key, so the
    // change count equals the inputs applied after the snapshot.
    const changes = ws.frames.slice(1);
    const lastN = changes.map((c) => c.value.lastN);
    assertEquals(lastN.length, new Set(lastN).size, "a change repeated");
    const snapshotMax = Math.max(-1, ...ws.frames[0].entries.map((e: Frame) => e.value.lastN));
    assertEquals(lastN.length, rows.length - 1 - snapshotMax);
    await ws.close();
  } finally {
    await a.stop();
    await producer.disconnect();
    await b.close();
  }
});

Deno.test("views: with two instances, a key the other instance owns is proxied to it", async () => {
  const b = await startTestBroker();
  const k = kafka(b.address);
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "multi", numPartitions: 2 }] });
  await admin.disconnect();
  const producer = k.producer();
  await producer.connect();
  const a1 = await startApp(b.address, "views-multi", "multi");
  const a2 = await startApp(b.address, "views-multi", "multi");
  // Views fill from what each instance processes after it got its partitions (they are not
  // restored from a changelog), so the records go in once the group has settled.
  const watcher = k.admin();
  await watcher.connect();
  let settled = false;
  const deadlineJoin = Date.now() + 20_000;
  while (!settled) {
    const { groups } = await watcher.describeGroups(["views-multi"]);
    const g = groups[0];
    settled = g.state === "Stable" && g.members.length === 2 &&
      g.members.every((m) => m.memberAssignment.length > 0);
    if (!settled && Date.now() > deadlineJoin) throw new Error(`group is ${g.state}`);
    if (!settled) await new Promise((r) => setTimeout(r, 100));
  }
  await watcher.disconnect();
  const rows: Reading[] = [];
  for (let n = 0; n < 40; n++) rows.push({ device: `dev-${n % 8}`, n, v: n % 5 });
  // The default partitioner spreads the keys over both partitions.
  const sent = await producer.send({
    topic: "multi",
    messages: rows.map((r) => ({ key: r.device, value: JSON.stringify(r) })),
  });
  assertEquals(new Set(sent.map((s) => s.partition)).size, 2);
  try {
    const want = expected(rows);
    // Wait until both own one partition and have applied everything they own.
    const lists = async () =>
      await Promise.all([a1, a2].map(async (a) => (await fetch(`${a.url}/views/totals`)).json()));
    const deadline = Date.now() + 20_000;
    let ls: Frame[] = [];
    for (;;) {
      ls = await lists();
      const held = ls.map((l) => l.entries.length);
      if (held[0] > 0 && held[1] > 0 && held[0] + held[1] === 8) break;
      if (Date.now() > deadline) throw new Error(`keys held: ${held}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Every key answers on both instances, locally or through its owner, with the right value.
    for (const key of Object.keys(want)) {
      for (const [i, a] of [a1, a2].entries()) {
        const res = await fetch(`${a.url}/views/totals/${key}`);
        const body = await res.json();
        assertEquals(res.status, 200, `${key} on instance ${i + 1}: ${JSON.stringify(body)}`);
        assertEquals(body.value, want[key]);
        const local = ls[i].entries.some((e: Frame) => e.key === key);
        const other = [a1, a2][1 - i].url;
        assertEquals(res.headers.get("x-sa-served-by"), local ? null : other, key);
      }
    }
  } finally {
    await a1.stop();
    await a2.stop();
    await producer.disconnect();
    await b.close();
  }
});

Deno.test("views: a partition that moves to another instance brings its keys (restored from the view's changelog)", async () => {
  const b = await startTestBroker();
  const k = kafka(b.address);
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "moving", numPartitions: 2 }] });
  const producer = k.producer();
  await producer.connect();
  const rows: Reading[] = [];
  for (let n = 0; n < 40; n++) rows.push({ device: `dev-${n % 8}`, n, v: n % 5 });
  const sent = await producer.send({
    topic: "moving",
    messages: rows.map((r) => ({ key: r.device, value: JSON.stringify(r) })),
  });
  assertEquals(new Set(sent.map((s) => s.partition)).size, 2);
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  const a1 = await startApp(b.address, "views-moving", "moving", dirs[0]);
  let a2: Awaited<ReturnType<typeof startApp>> | undefined;
  try {
    const want = expected(rows);
    // The first instance processes and checkpoints everything (both partitions).
    let committed = 0;
    const deadline = Date.now() + 20_000;
    while (committed !== 40) {
      const offs = await admin.fetchOffsets({ groupId: "views-moving", topics: ["moving"] });
      committed = offs[0].partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
      if (Date.now() > deadline) throw new Error(`committed ${committed} of 40`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // A second instance joins: one partition moves to it, with no new message to fill it.
    a2 = await startApp(b.address, "views-moving", "moving", dirs[1]);
    const lists = async () =>
      await Promise.all([a1, a2!].map(async (a) => (await fetch(`${a.url}/views/totals`)).json()));
    let ls: Frame[] = [];
    const deadline2 = Date.now() + 20_000;
    for (;;) {
      ls = await lists();
      const held = ls.map((l) => l.entries.length);
      if (held[0] > 0 && held[1] > 0 && held[0] + held[1] === 8) break;
      if (Date.now() > deadline2) throw new Error(`keys held: ${held}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const merged = Object.fromEntries(
      ls.flatMap((l) => l.entries.map((e: Frame) => [e.key, e.value])),
    );
    assertEquals(merged, want);
    for (const key of Object.keys(want)) {
      const res = await fetch(`${a1.url}/views/totals/${key}`);
      assertEquals((await res.json()).value, want[key], key);
    }
  } finally {
    await a2?.stop();
    await a1.stop();
    await admin.disconnect();
    await producer.disconnect();
    await b.close();
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  }
});
