// `sa up` runs the episode-3 sample (examples/episode3/sa.yaml): the recording posted to the
// gateway as the phone does ends up as 10 s windows in a real InfluxDB 1.6. The views and
// live-chart deployments (apps from the ep3serve work) are left out of this copy when their
// app files are not in the checkout.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { withTempDir } from "./_helpers.ts";
import { exists, freePort } from "../_services.ts";
import { demoLines, spawnSa } from "../apps/_helpers.ts";
import { requireInfluxd, startInfluxd } from "../stream/sinks/_influxd.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test({
  name: "sa up: the episode-3 sample takes phone pushes to InfluxDB",
  async fn() {
    if (!requireInfluxd()) return;
    const influx = await startInfluxd();
    try {
      await withTempDir(async (dir) => {
        const project = join(dir, "examples", "episode3");
        await Deno.mkdir(project, { recursive: true });
        await Deno.mkdir(join(dir, "apps"));
        // Every app of the sample present in the checkout (views.ts imports downsampling.ts
        // and downsampling.ts normalize.ts).
        for (
          const f of [
            "gateway",
            "normalize",
            "normalize_windowed",
            "downsampling",
            "views",
            "live_chart",
          ]
        ) {
          if (exists(join(ROOT, `apps/${f}.ts`))) {
            await Deno.copyFile(join(ROOT, `apps/${f}.ts`), join(dir, `apps/${f}.ts`));
          }
        }
        const repo = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
        const imports: Record<string, string> = {
          "@sa/toolkit": new URL("../../mod.ts", import.meta.url).href,
        };
        for (const [k, v] of Object.entries(repo.imports as Record<string, string>)) {
          if (v.startsWith("npm:")) imports[k] = v;
        }
        await Deno.writeTextFile(
          join(dir, "deno.json"),
          JSON.stringify({ imports, nodeModulesDir: "none", lock: false }),
        );
        // The sample, on this test's ports: loopback gateway, no MQTT, the test's InfluxDB.
        const port = freePort();
        const influxHost = influx.url.slice("http://".length);
        const doc = parse(await Deno.readTextFile(join(ROOT, "examples/episode3/sa.yaml")));
        doc.deployments = doc.deployments.filter((d: { application: string }) =>
          !/views|live_chart/.test(d.application) ||
          exists(join(ROOT, "examples/episode3", d.application))
        );
        for (const d of doc.deployments) {
          const vars = Object.fromEntries(
            d.variables.map((v: { name: string; value?: string }) => [v.name, v]),
          );
          if (d.name === "gateway") {
            vars.host.value = "127.0.0.1";
            vars.port.value = String(port);
            vars.mqtt_url.value = "";
            d.allowNet = [`127.0.0.1:${port}`];
          }
          if (d.name === "downsampling") {
            vars.influx_url.value = influx.url;
            d.allowNet = [influxHost];
          }
        }
        await Deno.writeTextFile(join(project, "sa.yaml"), stringify(doc));
        const proc = spawnSa(["up", "--port", "0"], project, { SA_COMMIT_INTERVAL: "500" });
        try {
          await proc.waitFor((out) => out.includes(`http://127.0.0.1:${port}/data`), 30_000);
          const lines = await demoLines();
          for (const line of lines) {
            const res = await fetch(`http://127.0.0.1:${port}/data`, {
              method: "POST",
              body: line,
            });
            assert.equal(res.status, 200, await res.text());
          }
          const session = JSON.parse(lines[0]).sessionId;
          const end = Date.now() + 60_000;
          let points: unknown[][] = [];
          while (points.length < 3) {
            if (Date.now() > end) {
              throw new Error(`no points in InfluxDB:\n${proc.stdout()}\n${proc.stderr()}`);
            }
            await new Promise((r) => setTimeout(r, 250));
            const s = await influx.query(
              "sensors",
              'SELECT "g-mean", "g-max", "session" FROM downsampled',
            ).catch(() => undefined);
            points = s?.values ?? [];
          }
          for (const [time, mean, max, tag] of points as [number, number, number, string][]) {
            assert.equal(time % 10_000, 0);
            assert.ok(mean > 0 && max >= mean, `g at ${time}: mean ${mean}, max ${max}`);
            assert.equal(tag, session);
          }
        } finally {
          const st = await proc.kill("SIGINT");
          assert.equal(st.code, 0, proc.stderr());
        }
      });
    } finally {
      await influx.close();
    }
  },
});
