import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { toLine } from "../../../lib/stream/sinks/_line_protocol.ts";
import { InfluxDBSink } from "../../../lib/stream/sinks/influxdb.ts";
import { SinkBackpressureError } from "../../../lib/stream/sinks/backpressure.ts";
import { SinkBatch } from "../../../lib/stream/sinks/batching_sink.ts";
import { requireInfluxd, startInfluxd } from "./_influxd.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

function batch<T>(values: T[], key: unknown = "k", t0 = 1_700_000_000_000): SinkBatch<T> {
  const b = new SinkBatch<T>("t", 0);
  values.forEach((value, i) =>
    b.items.push({ value, key, timestamp: t0 + i * 1000, headers: {}, offset: i })
  );
  return b;
}

Deno.test("line protocol: escaping, floats, strings, booleans; NaN and null fields left out", () => {
  assertEquals(
    toLine({
      measurement: "my m,x",
      tags: { "b tag": "v=1", a: "x,y", empty: "" },
      fields: { "g-mean": 1.5, n: 2, s: 'say "hi" \\', ok: true, bad: NaN },
      timeMs: 1700000000123.7,
    }),
    'my\\ m\\,x,a=x\\,y,b\\ tag=v\\=1 g-mean=1.5,n=2,s="say \\"hi\\" \\\\",ok=true 1700000000123',
  );
  assertEquals(toLine({ measurement: "m", tags: {}, fields: { x: NaN }, timeMs: 0 }), undefined);
});

/** A fake InfluxDB answering from `statuses` in turn (then 204), recording bodies. */
function fakeInflux(statuses: Array<[number, Record<string, string>?]>) {
  const bodies: string[] = [];
  const urls: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    urls.push(new URL(req.url).pathname + new URL(req.url).search);
    bodies.push(await req.text());
    const [status, headers] = statuses.shift() ?? [204];
    return new Response(status === 204 ? null : `{"error":"status ${status}"}`, {
      status,
      headers,
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    bodies,
    urls,
    close: () => server.shutdown(),
  };
}

Deno.test({
  name:
    "InfluxDBSink: v2 URL and token, chunks of batchSize, 5xx retried, 429 is backpressure, 400 fails",
  ...opts,
  async fn() {
    const fake = fakeInflux([[500], [204], [204], [429, { "retry-after": "2" }], [400]]);
    try {
      const sink = new InfluxDBSink<{ v: number; host: string }>({
        url: fake.url,
        version: 2,
        org: "o",
        bucket: "b",
        token: "tok",
        measurement: "m",
        tags: ["host"],
        batchSize: 2,
        backoffMs: 1,
      });
      await sink.write(batch([{ v: 1, host: "a" }, { v: 2, host: "a" }, { v: 3, host: "b" }]));
      assertEquals(fake.urls[0], "/api/v2/write?bucket=b&precision=ms&org=o");
      // First chunk: 500 then retried; second chunk (one point) on its own.
      assertEquals(fake.bodies, [
        "m,host=a v=1 1700000000000\nm,host=a v=2 1700000001000",
        "m,host=a v=1 1700000000000\nm,host=a v=2 1700000001000",
        "m,host=b v=3 1700000002000",
      ]);
      assertEquals(sink.stats, { points: 3, skipped: 0, retries: 1 });
      const bp = await assertRejects(() => sink.write(batch([{ v: 4, host: "a" }])));
      assert(bp instanceof SinkBackpressureError);
      assertEquals(bp.retryAfterMs, 2000);
      const bad = await assertRejects(() => sink.write(batch([{ v: 5, host: "a" }])));
      assert(!(bad instanceof SinkBackpressureError));
      assert((bad as Error).message.includes("HTTP 400"), (bad as Error).message);
    } finally {
      await fake.close();
    }
  },
});

Deno.test({
  name: "InfluxDBSink: an unreachable InfluxDB is retried, then backpressure (not lost, not fatal)",
  ...opts,
  async fn() {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const sink = new InfluxDBSink({
      url: `http://127.0.0.1:${port}`,
      version: 1,
      database: "d",
      measurement: "m",
      attempts: 3,
      backoffMs: 1,
    });
    const e = await assertRejects(() => sink.write(batch([{ v: 1 }])));
    assert(e instanceof SinkBackpressureError, String(e));
    assertEquals(sink.stats.retries, 2);
    await assertRejects(() => sink.setup(), Error, "not reachable");
  },
});

Deno.test({
  name: "InfluxDBSink: a real influxd 1.6 stores exactly the points written (v1 API)",
  ...opts,
  async fn() {
    if (!requireInfluxd()) return;
    const influx = await startInfluxd();
    try {
      const sink = new InfluxDBSink<{ a: number; b: number | null; label: string }>({
        url: influx.url,
        version: 1,
        database: "unit",
        measurement: "m",
        keyTag: "session",
        batchSize: 3,
      });
      await sink.setup();
      const values = Array.from({ length: 10 }, (_, i) => ({
        a: i / 3,
        b: i % 2 ? null : i,
        label: `n ${i}`,
      }));
      await sink.write(batch(values, "s-1"));
      const s = await influx.query("unit", 'SELECT a, b, label, "session" FROM m');
      assertEquals(s?.columns, ["time", "a", "b", "label", "session"]);
      assertEquals(
        s?.values,
        values.map((v, i) => [1_700_000_000_000 + i * 1000, v.a, v.b, v.label, "s-1"]),
      );
    } finally {
      await influx.close();
    }
  },
});
