// `sa compose` for the episode-3 sample (examples/episode3/sa.yaml): InfluxDB and Mosquitto
// services, local URLs rewritten to them, the gateway's port published, and a build context
// holding both the sample and the repo's apps it runs.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { generateCompose } from "../../lib/project/compose.ts";
import { externalServices, listenPorts } from "../../lib/project/compose_services.ts";
import { loadPipeline } from "../../lib/project/pipeline.ts";

const SAMPLE = fileURLToPath(new URL("../../examples/episode3/sa.yaml", import.meta.url));
const TOOLKIT = fileURLToPath(new URL("../..", import.meta.url));

Deno.test("compose services: local InfluxDB/MQTT URLs are rewritten, other values kept", () => {
  const r = externalServices({
    influx_url: "http://127.0.0.1:8086",
    mqtt_url: "mqtt://localhost:1883",
    other: "http://127.0.0.1:9000",
    remote: "http://db.example.com:8086",
    text: "hello",
  });
  assert.deepEqual(r.values, {
    influx_url: "http://influxdb:8086",
    mqtt_url: "mqtt://mosquitto:1883",
    other: "http://127.0.0.1:9000",
    remote: "http://db.example.com:8086",
    text: "hello",
  });
  assert.deepEqual(Object.keys(r.services).sort(), ["influxdb", "mosquitto"]);
  assert.deepEqual(listenPorts(["0.0.0.0:8000", "127.0.0.1:1883"]), ["8000:8000"]);
});

Deno.test("sa compose of the episode-3 sample: InfluxDB, Mosquitto, gateway port, wide build context", async () => {
  const pipeline = await loadPipeline(SAMPLE);
  const files = generateCompose({
    pipeline,
    apps: [],
    toolkitDir: TOOLKIT,
    denoVersion: "2.1.4",
  });
  const compose = parse(files["compose/docker-compose.yml"]);
  assert.deepEqual(Object.keys(compose.services), [
    "kafka-broker",
    "console",
    "create-topics",
    "gateway",
    "normalize",
    "downsampling",
    "views",
    "live-chart",
    "mosquitto",
    "influxdb",
  ]);
  assert.equal(compose.services.influxdb.image, "influxdb:1.8");
  assert.deepEqual(compose.services.mosquitto.ports, ["1883:1883"]);
  assert.deepEqual(compose.volumes, { "influxdb-data": {} });
  const ds = compose.services.downsampling;
  assert.equal(ds.environment.influx_url, "http://influxdb:8086");
  assert.equal(ds.depends_on.influxdb.condition, "service_started");
  const gw = compose.services.gateway;
  assert.deepEqual(gw.ports, ["8000:8000"]);
  assert.equal(gw.environment.mqtt_url, "mqtt://mosquitto:1883");
  assert.equal(gw.environment.host, "0.0.0.0");
  // The context is the checkout (examples/episode3 and apps/), the app runs from the sample.
  assert.equal(gw.build.context, "../../..");
  assert.equal(gw.build.dockerfile, "examples/episode3/compose/gateway.Dockerfile");
  // The toolkit (this checkout) is mounted by its path relative to the sample's compose/.
  assert.deepEqual(gw.volumes, [
    "${SA_TOOLKIT:-../../..}:/sa:ro",
    "/dev/null:/app/examples/episode3/.env",
  ]);
  const dockerfile = files["compose/gateway.Dockerfile"];
  assert.match(dockerfile, /COPY \. \.\nWORKDIR \/app\/examples\/episode3\n/);
  assert.match(dockerfile, /"run", "\.\.\/\.\.\/apps\/gateway\.ts"\]/);
  assert.match(files["compose/gateway.Dockerfile.dockerignore"], /^examples\/episode3\/\.sa\/$/m);
});
