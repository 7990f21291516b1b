// apps/downsampling.ts writing its 10 s windows to a real InfluxDB 1.6 (Debian's influxd),
// read back with InfluxQL and compared with windows computed here in batch form.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { AppSandbox } from "../../lib/runner/sandbox.ts";
import { sandboxGrant } from "../../lib/runner/permissions.ts";
import { expectedDownsampled } from "./_downsampled.ts";
import type { SensorMessage } from "../../apps/normalize.ts";
import { demoLines, kafka, produceLines, tempBroker } from "./_helpers.ts";
import { requireInfluxd, startInfluxd } from "../stream/sinks/_influxd.ts";

const DOWNSAMPLING = fileURLToPath(new URL("../../apps/downsampling.ts", import.meta.url));

Deno.test({
  name: "downsampling: the demo recording's 10 s windows land in InfluxDB 1.6, point for point",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    if (!requireInfluxd()) return;
    const lines = await demoLines();
    const want = expectedDownsampled(lines.map((l) => JSON.parse(l) as SensorMessage)).map(
      (w) => [w.start, w.mean, w.max, w.latitude, w.longitude] as const,
    );
    assert.ok(want.length >= 3);
    const broker = await tempBroker();
    const influx = await startInfluxd();
    const stateDir = await Deno.makeTempDir({ prefix: "sa-ds-" });
    let app: AppSandbox | undefined;
    try {
      const producer = kafka(broker.address).producer();
      await producer.connect();
      await produceLines(producer, "raw-data", "demo_stream.json", lines);
      await producer.disconnect();
      let out = "";
      app = await AppSandbox.load({
        name: "downsampling",
        entry: DOWNSAMPLING,
        grant: sandboxGrant({
          entry: DOWNSAMPLING,
          brokers: [broker.address],
          allowNet: [influx.url.slice("http://".length)],
          stateDir,
        }),
        onOutput: (_s, t) => void (out += t),
      });
      app.start({
        input: "raw-data",
        output: "table-data-10s",
        influx_url: influx.url,
        influx_version: "1",
        influx_database: "course",
      }, { SA_BROKER: broker.address, SA_STATE_DIR: stateDir, SA_COMMIT_INTERVAL: "200" });
      type Series = { columns: string[]; values: unknown[][] } | undefined;
      let got: Series;
      const end = Date.now() + 30_000;
      for (;;) {
        got = await influx.query(
          "course",
          'SELECT "g-mean", "g-max", latitude, longitude, "session" FROM downsampled',
        ).catch(() => undefined);
        if ((got?.values.length ?? 0) >= want.length) break;
        if (Date.now() > end || !app.running) {
          throw new Error(
            `only ${got?.values.length ?? 0} of ${want.length} points; app said:\n${out}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(got!.values.length, want.length);
      for (const [i, w] of want.entries()) {
        const [time, mean, max, lat, lon, session] = got!.values[i] as number[];
        assert.deepEqual([time, lat, lon, session], [w[0], w[3], w[4], "demo_stream.json"]);
        assert.ok(Math.abs(mean - w[1]!) < 1e-12, `g-mean at ${w[0]}: ${mean} vs ${w[1]}`);
        assert.ok(Math.abs(max - w[2]!) < 1e-12, `g-max at ${w[0]}: ${max} vs ${w[2]}`);
      }
    } finally {
      await app?.stop();
      await influx.close();
      await broker.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
