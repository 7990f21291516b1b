// The demo recording through MQTT (a real mosquitto) and through WebSocket ingestion arrives
// in raw-data exactly as recorded, keyed by sessionId.
import { assert, assertEquals } from "../_assert.ts";
import { Application } from "../../../lib/stream/application.ts";
import { HttpSource } from "../../../lib/stream/sources/http_source.ts";
import { MqttSource } from "../../../lib/stream/sources/mqtt_source.ts";
import type { Source } from "../../../lib/stream/sources/source.ts";
import { readTopic, silent, startTestBroker, waitFor } from "../integration/_util.ts";
import { publishAll, requireMosquitto, startMosquitto } from "./_mosquitto.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const lines = Deno.readTextFileSync(new URL("../../../demo_stream.json", import.meta.url))
  .split("\n").filter((l) => l.trim() !== "");
const sessionOf = (l: string) => JSON.parse(l).sessionId as string;

/** Runs `source` into raw-data until `fn` returns. */
async function withSource(
  address: string,
  stateDir: string,
  source: Source,
  fn: () => Promise<void>,
): Promise<void> {
  const stop = new AbortController();
  const app = new Application({
    brokerAddress: address,
    consumerGroup: "ingest",
    stateDir,
    logLevel: "SILENT",
    handleSignals: false,
  });
  app.addSource(source, HttpSource.topic(app, "raw-data"));
  const run = app.run({ signal: stop.signal });
  try {
    await fn();
  } finally {
    stop.abort();
    await run;
  }
}

Deno.test({
  name: "MQTT source: the recording published with QoS 1 to mosquitto arrives intact and once",
  ...opts,
  async fn() {
    if (!requireMosquitto()) return;
    const broker = await startTestBroker({ logger: silent });
    const mosquitto = await startMosquitto();
    const stateDir = await Deno.makeTempDir({ prefix: "sa-mqtt-" });
    try {
      const source = new MqttSource({ url: mosquitto.url, topic: "phone/+", clientId: "sa-test" });
      await withSource(broker.address, stateDir, source, async () => {
        await waitFor(() => source.stats.subscribed === 1, 10_000, "the subscription");
        await publishAll(mosquitto.port, "phone/1", lines);
        await waitFor(() => source.stats.accepted === lines.length, 20_000, "every message");
        // Redelivered or repeated messages are not produced twice.
        await publishAll(mosquitto.port, "phone/1", lines.slice(0, 5));
        await waitFor(() => source.stats.duplicates === 5, 10_000, "the duplicates");
      });
      const records = await readTopic(broker.address, "raw-data", lines.length);
      assertEquals(records.map((r) => r.value), lines);
      assert(records.every((r, i) => r.key === sessionOf(lines[i])));
    } finally {
      await mosquitto.close();
      await broker.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "MQTT source: messages published while it is down arrive after it reconnects (persistent session)",
  ...opts,
  async fn() {
    if (!requireMosquitto()) return;
    const broker = await startTestBroker({ logger: silent });
    const mosquitto = await startMosquitto();
    const stateDir = await Deno.makeTempDir({ prefix: "sa-mqtt-" });
    try {
      const make = () =>
        new MqttSource({ url: mosquitto.url, topic: "phone", clientId: "sa-keep" });
      const first = make();
      await withSource(broker.address, stateDir, first, async () => {
        await waitFor(() => first.stats.subscribed === 1, 10_000, "the subscription");
        await publishAll(mosquitto.port, "phone", lines.slice(0, 10));
        await waitFor(() => first.stats.accepted === 10, 10_000, "the first 10");
      });
      // The source is stopped; the phone keeps publishing.
      await publishAll(mosquitto.port, "phone", lines.slice(10, 30));
      const second = make();
      await withSource(broker.address, stateDir, second, async () => {
        await waitFor(() => second.stats.accepted === 20, 10_000, "the 20 queued while down");
      });
      const records = await readTopic(broker.address, "raw-data", 30);
      assertEquals(records.map((r) => r.value), lines.slice(0, 30));
    } finally {
      await mosquitto.close();
      await broker.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "WebSocket ingestion: the recording streamed one message per frame arrives intact, each frame acked",
  ...opts,
  async fn() {
    const broker = await startTestBroker({ logger: silent });
    const stateDir = await Deno.makeTempDir({ prefix: "sa-ws-" });
    try {
      const source = new HttpSource({ port: 0, onListen() {} });
      await withSource(broker.address, stateDir, source, async () => {
        await waitFor(() => source.port !== 0, 10_000, "the port");
        const ws = new WebSocket(`ws://127.0.0.1:${source.port}/ws`);
        const acked = new Set<number>();
        const done = new Promise<void>((resolve, reject) => {
          ws.onmessage = (e) => {
            const r = JSON.parse(e.data);
            if (!r.ok) reject(new Error(`frame ${r.seq}: ${r.error}`));
            acked.add(r.seq);
            if (acked.size === lines.length) resolve();
          };
        });
        await new Promise((r) => ws.onopen = r);
        for (const l of lines) ws.send(l);
        await done;
        ws.close();
      });
      const records = await readTopic(broker.address, "raw-data", lines.length);
      assertEquals(records.map((r) => r.value), lines);
      assert(records.every((r, i) => r.key === sessionOf(lines[i])));
    } finally {
      await broker.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
