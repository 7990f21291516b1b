import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { TestApp } from "../../lib/stream/testing.ts";
import normalizeApp, {
  type AccelerometerRow,
  normalize,
  type SensorMessage,
  transpose,
} from "../../apps/normalize.ts";
import { AppSandbox } from "../../lib/runner/sandbox.ts";
import { sandboxGrant } from "../../lib/runner/permissions.ts";
import { consumeN, demoLines, expectedRows, kafka, produceLines, tempBroker } from "./_helpers.ts";

const NORMALIZE = fileURLToPath(new URL("../../apps/normalize.ts", import.meta.url));

Deno.test("normalize: transpose makes sensor-dimension columns after the time", () => {
  assert.deepEqual(
    transpose({ name: "battery", time: 5, values: { batteryLevel: 0.7, lowPowerMode: "False" } }),
    { time: 5, "battery-batteryLevel": 0.7, "battery-lowPowerMode": "False" },
  );
});

Deno.test("normalize: the demo session has shakes from the first seconds", async () => {
  const lines = await demoLines();
  const rows = expectedRows(lines);
  assert.ok(rows.length > 100, `only ${rows.length} shake rows`);
  const start = JSON.parse(lines[0]).payload[0].time;
  assert.ok(rows[0][0] - start < 5e9, "the first shake row is more than 5 s in");
  // Battery values include the strings of the recording format.
  assert.ok(lines.some((l) => l.includes(`"batteryState":"unplugged"`)));
  assert.ok(lines.some((l) => l.includes(`"name":"gyroscope"`)));
});

Deno.test("normalize: dataframe steps on the demo data give the independent expectation", async () => {
  const lines = await demoLines();
  const app = new TestApp();
  const input = app.topic<SensorMessage>("raw-data");
  const output = app.topic<AccelerometerRow>("table-data");
  normalize(app.dataframe(input)).toTopic(output);
  for (const line of lines) app.push(input, JSON.parse(line), { key: "demo_stream.json" });
  const produced = app.produced<AccelerometerRow>("table-data");
  assert.deepEqual(produced.map((r) => Object.values(r.value)), expectedRows(lines));
  assert.deepEqual(
    Object.keys(produced[0].value),
    ["time", "accelerometer-x", "accelerometer-y", "accelerometer-z", "accelerometer-total"],
  );
  assert.ok(produced.every((r) => r.key === "demo_stream.json"));
});

Deno.test("normalize: a string where an axis should be fails like Python's abs()", () => {
  const app = new TestApp();
  const input = app.topic<SensorMessage>("raw-data");
  normalize(app.dataframe(input)).toTopic(app.topic("table-data"));
  assert.throws(
    () =>
      app.push(input, {
        messageId: 1,
        sessionId: "s",
        deviceId: "d",
        payload: [{ name: "accelerometer", time: 1, values: { x: "1", y: 2, z: 3 } }],
      }),
    /column "accelerometer-x" is not a number/,
  );
});

Deno.test({
  name: "normalize: through the embedded broker, in its sandbox, on the demo data",
  async fn() {
    const lines = await demoLines();
    const expected = expectedRows(lines);
    const broker = await tempBroker();
    const printed: string[] = [];
    let app: AppSandbox | undefined;
    const producer = kafka(broker.address).producer();
    try {
      await producer.connect();
      await produceLines(producer, "raw-data", "demo_stream.json", lines);
      app = await AppSandbox.load({
        name: "normalize",
        entry: NORMALIZE,
        grant: sandboxGrant({ entry: NORMALIZE, brokers: [broker.address] }),
        onOutput: (stream, text) => stream === "stdout" && printed.push(text),
      });
      assert.deepEqual(app.definition.variables.map((v) => v.name), ["input", "output"]);
      assert.equal(app.definition.name, normalizeApp.name);
      app.start({ input: "raw-data", output: "table-data" }, { SA_BROKER: broker.address });
      const out = await consumeN(broker.address, "table-data", expected.length);
      assert.deepEqual(out.map((m) => Object.values(JSON.parse(m.value))), expected);
      assert.ok(out.every((m) => m.key === "demo_stream.json"));
      // It prints each row's values, one line per row, like the seed.
      const stopped = await app.stop(10_000);
      assert.deepEqual(stopped, { kind: "exited" });
      const rowLines = printed.join("").split("\n").filter((l) => l.startsWith("["));
      assert.deepEqual(rowLines.map((l) => JSON.parse(l)), expected);
    } finally {
      app?.kill();
      await producer.disconnect();
      await broker.close();
    }
  },
});
