import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestBroker } from "../broker/_harness.ts";
import { api, seed } from "./_console.ts";
import { startConsole } from "../../lib/console/server.ts";
import { BrokerInfo, inferKafkaVersion } from "../../lib/console/_broker_info.ts";
import { LAG_HISTORY_MS } from "../../lib/console/_sampler.ts";
import { SA_VERSION } from "../../lib/version.ts";

/** Bytes of a topic's segment files, asked of the file system. */
async function onDisk(dataDir: string, topic: string, partitions: number): Promise<number> {
  let n = 0;
  for (let p = 0; p < partitions; p++) {
    for await (const e of Deno.readDir(join(dataDir, `${topic}-${p}`))) {
      if (e.name.endsWith(".log")) {
        n += (await Deno.stat(join(dataDir, `${topic}-${p}`, e.name))).size;
      }
    }
  }
  return n;
}

Deno.test("console API: bytes on disk per topic, the embedded broker's version, lag history, out rate", async () => {
  const broker = await startTestBroker();
  const c = await startConsole({ address: broker.address, port: 0, sampleMs: 60_000 });
  try {
    await seed(broker.address);
    const sensors = await onDisk(broker.dataDir, "sensors", 2);
    assert.ok(sensors > 0);
    let r = await api(c, "/api/topics");
    assert.deepEqual(
      r.body.map((t: { name: string; bytesOnDisk: number }) => [t.name, t.bytesOnDisk]),
      [["empty", 0], ["sensors", sensors]],
    );
    r = await api(c, "/api/topics/sensors");
    assert.equal(r.body.bytesOnDisk, sensors);

    // The embedded broker says what it is; the protocol level is read off its APIs.
    r = await api(c, "/api/overview");
    assert.deepEqual(r.body.broker.version.text, `sa ${SA_VERSION} (embedded broker)`);
    assert.equal(r.body.broker.version.inferred, false);
    assert.match(r.body.broker.version.detail, /Kafka ≥ 2\.4 .*OffsetDelete \(47\)/);
    const denoJson = JSON.parse(await Deno.readTextFile("deno.json"));
    assert.equal(SA_VERSION, denoJson.version, "lib/version.ts follows deno.json");

    // Lag history: one point per sample, the group's total lag, at most the last hour. The
    // test takes every sample itself, at chosen times.
    c.sampler.stop();
    await c.sampler.idle();
    await c.ctx.run((_a, reader) =>
      reader.commit("reader", "sensors", [{ partition: 0, offset: 2 }, { partition: 1, offset: 0 }])
    );
    const t0 = Date.now() - 2 * LAG_HISTORY_MS;
    await c.sampler.sample(t0);
    await c.sampler.sample(t0 + LAG_HISTORY_MS + 1000);
    await c.ctx.run((_a, reader) =>
      reader.commit("reader", "sensors", [{ partition: 0, offset: 5 }])
    );
    await c.sampler.sample(t0 + LAG_HISTORY_MS + 2000);
    r = await api(c, "/api/groups/reader/lag-history");
    assert.equal(r.status, 200);
    assert.equal(r.body.windowMs, LAG_HISTORY_MS);
    assert.equal(r.body.intervalMs, 60_000);
    // The first point is more than an hour older than the last: gone.
    assert.deepEqual(r.body.points, [
      { t: t0 + LAG_HISTORY_MS + 1000, lag: 4 },
      { t: t0 + LAG_HISTORY_MS + 2000, lag: 1 },
    ]);
    // The same samples give each topic's out rate: "reader" committed 3 more of sensors in 1 s.
    r = await api(c, "/api/topics");
    assert.deepEqual(
      r.body.map((t: { name: string; outRate: number }) => [t.name, t.outRate]),
      [["empty", 0], ["sensors", 3]],
    );
    r = await api(c, `/api/groups/reader/lag-history?since=${t0 + LAG_HISTORY_MS + 1000}`);
    assert.deepEqual(r.body.points, [{ t: t0 + LAG_HISTORY_MS + 2000, lag: 1 }]);
    r = await api(c, "/api/groups/reader/lag-history?since=soon");
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'bad since "soon"');
    r = await api(c, "/api/groups/nobody/lag-history");
    assert.deepEqual(r.body.points, []);
  } finally {
    await c.close();
    await broker.close();
  }
});

Deno.test("Kafka version inferred from ApiVersions, by the newest API served", () => {
  const table = (keys: number[], produceMin = 0) =>
    new Map(keys.map((k) => [k, { min: k === 0 ? produceMin : 0, max: 3 }]));
  assert.equal(inferKafkaVersion(table([0, 1, 18])).version, "0.10.0");
  assert.equal(inferKafkaVersion(table([0, 18, 19, 20])).version, "0.10.1");
  assert.equal(inferKafkaVersion(table([0, 18, 22, 35, 36, 37])).version, "1.0");
  assert.deepEqual(inferKafkaVersion(table([0, 18, 44, 47, 48])), {
    version: "2.6",
    because: "DescribeClientQuotas (48)",
  });
  assert.equal(inferKafkaVersion(table([0, 18, 60, 61])).version, "2.8");
  assert.equal(inferKafkaVersion(table([0, 18, 65, 74, 75])).version, "3.8");
  assert.equal(inferKafkaVersion(table([0, 18, 65, 74, 75], 3)).version, "4.0");
});

/** A fake broker answering ApiVersions v0 with `keys`, or closing every connection at once. */
function fakeBroker(keys: number[] | "close" | "silent") {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      if (keys === "close") {
        conn.close();
        continue;
      }
      if (keys === "silent") continue; // reads nothing, answers nothing
      (async () => {
        const buf = new Uint8Array(4096);
        while (true) {
          const n = await conn.read(buf).catch(() => null);
          if (n === null) return;
          const v = new DataView(buf.buffer);
          const corr = v.getInt32(8);
          const body = new Uint8Array(4 + 2 + 4 + keys.length * 6);
          const w = new DataView(body.buffer);
          w.setInt32(0, corr);
          w.setInt16(4, 0);
          w.setInt32(6, keys.length);
          keys.forEach((k, i) => w.setInt16(10 + i * 6, k));
          const frame = new Uint8Array(4 + body.length);
          new DataView(frame.buffer).setInt32(0, body.length);
          frame.set(body, 4);
          await conn.write(frame).catch(() => {});
        }
      })();
    }
  })();
  const address = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  return {
    address,
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
    },
  };
}

Deno.test("bytes on disk are unknown (null), not an error, when a broker does not serve DescribeLogDirs, hangs up or does not answer", async () => {
  for (const keys of [[0, 1, 3, 18], "close", "silent"] as const) {
    const fake = fakeBroker(keys as number[] | "close" | "silent");
    const info = new BrokerInfo(fake.address);
    try {
      let t0 = performance.now();
      assert.equal(await info.topicBytes([fake.address]), null);
      assert.ok(performance.now() - t0 < 6000, "gives up within the 5 s request limit");
      // A failure is remembered for a while: the next page load is not held up again.
      t0 = performance.now();
      assert.equal(await info.topicBytes([fake.address]), null);
      if (keys === "silent") assert.ok(performance.now() - t0 < 1000);
    } finally {
      info.close();
      fake.close();
    }
  }
});
