/** The `starter-source` app template (`__APP_NAME__` is replaced by the app's name). */
export const STARTER_SOURCE = `/**
 * __APP_NAME__: a starter source. Produces a JSON reading to \`output\` every \`interval_ms\`
 * milliseconds until stopped, keyed by sensor. Replace \`nextReading\` with your own data
 * (an API, a file, a device).
 *
 * Run it: \`sa run __APP_PATH__\`
 */
import { Application, defineApp } from "@sa/toolkit";

/** One message this source produces. */
interface Reading {
  sensor: string;
  value: number;
  timestamp: number;
}

const SENSORS = ["temperature", "humidity", "pressure"];

/** The n-th reading: a deterministic wave per sensor, so runs are reproducible. */
function nextReading(n: number): Reading {
  const sensor = SENSORS[n % SENSORS.length];
  const value = Math.round((50 + 25 * Math.sin(n / 10)) * 100) / 100;
  return { sensor, value, timestamp: Date.now() };
}

/** Resolves after \`ms\`, or at once when \`signal\` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

export default defineApp({
  name: "__APP_NAME__",
  description: "Produces sample sensor readings to the output topic",
  variables: [
    {
      name: "output",
      inputType: "OutputTopic",
      description: "Topic to write readings to",
      defaultValue: "sensor-data",
      required: true,
    },
    {
      name: "interval_ms",
      inputType: "FreeText",
      description: "Milliseconds between messages (0: as fast as possible)",
      defaultValue: "1000",
      required: false,
    },
  ],
  async main(vars, signal) {
    const intervalMs = Number(vars.interval_ms ?? "1000");
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new Error(\`interval_ms must be a number >= 0, not "\${vars.interval_ms}"\`);
    }
    const app = new Application();
    const output = app.topic<Reading>(vars.output!);
    await using producer = await app.getProducer();
    let produced = 0;
    while (!signal.aborted) {
      const reading = nextReading(produced++);
      producer.produce(output, { key: reading.sensor, value: reading });
      await producer.ready(); // back-pressure: never outrun the broker
      if (intervalMs > 0) await sleep(intervalMs, signal);
    }
    await producer.flush();
    console.log(\`__APP_NAME__: produced \${produced} message(s) to \${output.name}\`);
  },
});
`;
