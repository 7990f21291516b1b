import { assert, assertEquals } from "../stream/_assert.ts";
import { TopicStreams } from "../../lib/serve/topic_stream.ts";
import { type Frame, kafka, readSse, startTestBroker, until, WsCollector } from "./_helpers.ts";

async function setup(opts: { highWaterBytes?: number; fetchMaxBytes?: number } = {}) {
  const b = await startTestBroker({ logger: undefined });
  const k = kafka(b.address);
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "t", numPartitions: 2 }] });
  await admin.disconnect();
  const producer = k.producer();
  await producer.connect();
  const streams = new TopicStreams({ brokers: [b.address], maxWaitMs: 100, ...opts });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => streams.handle(req),
  );
  let n = 0;
  return {
    url: `127.0.0.1:${server.addr.port}`,
    streams,
    /** Produces `count` records spread over both partitions, values {i}. */
    async produce(count: number, size = 0) {
      const pad = "x".repeat(size);
      const messages = [];
      for (let i = 0; i < count; i++, n++) {
        messages.push({ key: `k${n % 3}`, value: JSON.stringify({ i: n, pad }), partition: n % 2 });
      }
      // Record batches of about 64 KiB: a fetch returns at least one whole batch.
      const chunk = size > 0 ? Math.max(1, Math.floor(64 * 1024 / size)) : 200;
      for (let i = 0; i < messages.length; i += chunk) {
        await producer.send({ topic: "t", messages: messages.slice(i, i + chunk) });
      }
    },
    async close() {
      streams.close();
      await producer.disconnect();
      await server.shutdown();
      await b.close();
    },
  };
}

/** Every (partition, offset) exactly once, each partition in order. */
function assertExactlyOnce(frames: Frame[], total: number) {
  const seen = new Set<string>();
  const last = new Map<number, number>();
  for (const f of frames) {
    const id = `${f.partition}:${f.offset}`;
    assert(!seen.has(id), `duplicate ${id}`);
    seen.add(id);
    assert((last.get(f.partition) ?? -1) < f.offset, `out of order at ${id}`);
    last.set(f.partition, f.offset);
  }
  assertEquals(seen.size, total);
}

Deno.test("ws: resuming from the cursor after a disconnect gives no gap and no duplicate", async () => {
  const s = await setup();
  try {
    await s.produce(200);
    const a = new WsCollector(`ws://${s.url}/topics/t?from=earliest`);
    await a.opened;
    await until("70 records", () => a.records().length >= 70);
    // The client leaves mid-stream: what it saw is what it keeps, cursor of the last one.
    a.ws.onmessage = null;
    const seenA = a.records().slice();
    await a.close();
    const cursor = seenA.at(-1)!.cursor;
    assertEquals(a.frames[0].type, "start");
    assertEquals(a.frames[0].partitions, [0, 1]);
    await s.produce(100);
    const b = new WsCollector(`ws://${s.url}/topics/t?from=${cursor}`);
    await b.opened;
    await until("the rest", () => seenA.length + b.records().length >= 300);
    await new Promise((r) => setTimeout(r, 200)); // nothing more may come
    await b.close();
    const all = [...seenA, ...b.records()];
    assertExactlyOnce(all, 300);
    assertEquals(new Set(all.map((f) => f.value.i)).size, 300);
    const f = all[0];
    assertEquals(f.topic, "t");
    assert(typeof f.timestamp === "number" && f.timestamp > 0);
    assert(["k0", "k1", "k2"].includes(f.key));
  } finally {
    await s.close();
  }
});

Deno.test("ws: key filter, latest, and bad requests get one-line errors", async () => {
  const s = await setup();
  try {
    await s.produce(30);
    const w = new WsCollector(`ws://${s.url}/topics/t?from=earliest&key=k1`);
    await w.opened;
    await until("10 k1 records", () => w.records().length >= 10);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(w.records().length, 10);
    assert(w.records().every((f) => f.key === "k1"));
    const latest = new WsCollector(`ws://${s.url}/topics/t`);
    await latest.opened;
    await until("start", () => latest.frames.length >= 1);
    await s.produce(4);
    await until("4 new", () => latest.records().length >= 4);
    assert(latest.records().every((f) => f.value.i >= 30));
    await w.close();
    await latest.close();
    for (
      const [path, status, text] of [
        ["/topics/nope?from=earliest", 404, "topic nope does not exist"],
        ["/topics/t?from=0:x", 400, 'bad cursor part "0:x"'],
        ["/topics/t?from=7:0", 400, "t has no partition 7"],
        ["/topics/t?from=0:99999", 400, "outside"],
        ["/topics/t", 426, "is a WebSocket"],
      ] as const
    ) {
      const headers: Record<string, string> = status === 426 ? {} : { upgrade: "websocket" };
      const res = await fetch(`http://${s.url}${path}`, { headers });
      const body = await res.text();
      assertEquals(res.status, status, `${path}: ${body}`);
      assert(body.includes(text) && body.trim().split("\n").length === 1, `${path}: ${body}`);
    }
  } finally {
    await s.close();
  }
});

Deno.test("sse: Last-Event-ID resumes with no gap and no duplicate", async () => {
  const s = await setup();
  try {
    await s.produce(120);
    const first = await readSse(
      await fetch(`http://${s.url}/topics/t/events?from=earliest`),
      (ev) => ev.filter((e) => e.event === "record").length >= 50,
    );
    const recs1 = first.filter((e) => e.event === "record");
    assertEquals(first[0].event, "start");
    await s.produce(30);
    const lastId = recs1.at(-1)!.id!;
    assertEquals(lastId, recs1.at(-1)!.data.cursor);
    const second = await readSse(
      await fetch(`http://${s.url}/topics/t/events`, { headers: { "last-event-id": lastId } }),
      (ev) => recs1.length + ev.filter((e) => e.event === "record").length >= 150,
    );
    const all = [...recs1, ...second.filter((e) => e.event === "record")].map((e) => e.data);
    assertExactlyOnce(all, 150);
    await until("sessions end", () => s.streams.sessions().length === 0);
  } finally {
    await s.close();
  }
});

Deno.test("ws credit: a client gets exactly the records it granted", async () => {
  const s = await setup();
  try {
    await s.produce(50);
    const w = new WsCollector(`ws://${s.url}/topics/t?from=earliest&credit=5`);
    await w.opened;
    await until("5 records", () => w.records().length >= 5);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(w.records().length, 5);
    w.ws.send(JSON.stringify({ credit: 12 }));
    await until("17 records", () => w.records().length >= 17);
    await new Promise((r) => setTimeout(r, 300));
    assertEquals(w.records().length, 17);
    // Resuming from the 17th record's cursor continues right after it.
    const cursor = w.records().at(-1)!.cursor;
    await w.close();
    const rest = new WsCollector(`ws://${s.url}/topics/t?from=${cursor}`);
    await rest.opened;
    await until("the rest", () => rest.records().length >= 33);
    await rest.close();
    assertExactlyOnce([...w.records(), ...rest.records()], 50);
  } finally {
    await s.close();
  }
});

Deno.test("ws slow client: the server stops reading for it, memory stays bounded, no loss", async () => {
  const highWater = 64 * 1024;
  const fetchMax = 64 * 1024;
  const s = await setup({ highWaterBytes: highWater, fetchMaxBytes: fetchMax });
  try {
    const total = 1500;
    await s.produce(total, 16 * 1024); // ~24 MB: far more than the socket buffers hold
    // A client that completes the handshake and never reads.
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(s.url.split(":")[1]) });
    await conn.write(new TextEncoder().encode(
      "GET /topics/t?from=earliest HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n" +
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n\r\n",
    ));
    await until("a session", () => s.streams.sessions().length === 1);
    // Let it run until sending stops: the kernel buffers fill, then the server's.
    let prev = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const st = s.streams.sessions()[0];
      if (st.sent === prev) break;
      prev = st.sent;
    }
    const st = s.streams.sessions()[0];
    assert(st.sent < total, `sent ${st.sent} of ${total}: the client was not slow`);
    // At most one fetch (here one ~64 KiB batch) of frames over the high-water mark.
    assert(
      st.bufferedAmount <= highWater + fetchMax + 4 * 1024,
      `buffered ${st.bufferedAmount} bytes`,
    );
    // A second, fast client is not held back by the slow one.
    const fast = new WsCollector(`ws://${s.url}/topics/t?from=earliest`);
    await fast.opened;
    await until("all records", () => fast.records().length >= total, 30_000);
    assertExactlyOnce(fast.records(), total);
    await fast.close();
    conn.close();
  } finally {
    await s.close();
  }
});

Deno.test("sse slow client: the server stops reading for it once the stream is full", async () => {
  const s = await setup({ highWaterBytes: 64 * 1024, fetchMaxBytes: 64 * 1024 });
  try {
    const total = 1500;
    await s.produce(total, 16 * 1024);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(s.url.split(":")[1]) });
    await conn.write(new TextEncoder().encode(
      "GET /topics/t/events?from=earliest HTTP/1.1\r\nHost: x\r\n\r\n",
    ));
    await until("a session", () => s.streams.sessions().length === 1);
    let prev = -1;
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const st = s.streams.sessions()[0];
      if (st.sent === prev) break;
      prev = st.sent;
    }
    const st = s.streams.sessions()[0];
    // Socket buffers hold a few MB at most: far less than the ~24 MB topic.
    assert(st.sent < total / 2, `sent ${st.sent} of ${total} to a client that never reads`);
    conn.close();
    await until("the session ends", () => s.streams.sessions().length === 0);
  } finally {
    await s.close();
  }
});
