/**
 * downsampling (episode 3): 10 s tumbling windows giving the mean and the peak g-force
 * (accelerometer magnitude / 9.81) and the last known position, written to `output` and, when
 * `influx_url` is set, to InfluxDB through an `InfluxDBSink` (one point per window, at the
 * window's start, tagged with the message key as `session`).
 *
 * It reads either raw phone messages (`{payload: [...]}`, as in raw-data) or table rows with
 * `accelerometer-x/y/z` and `location-latitude/longitude` columns (as the windowed normalize
 * writes to table-data). A row's `time` may be in ns (the phone's) or ms (window ends).
 *
 * @module
 */
import {
  Application,
  defineApp,
  InfluxDBSink,
  Last,
  Max,
  Mean,
  type StreamingDataFrame,
} from "@sa/toolkit";
import { type SensorMessage, type SensorRow, transpose } from "./normalize.ts";

/** Standard gravity, m/s². */
export const G = 9.80665;

/** A reading reduced to what the downsampled table needs (null where it has nothing). */
export interface Sample {
  g: number | null;
  latitude: number | null;
  longitude: number | null;
}

/** One 10 s row. */
export interface DownsampledRow {
  "g-mean": number | null;
  "g-max": number | null;
  latitude: number | null;
  longitude: number | null;
  start: number;
  end: number;
}

/** A raw message's readings as table rows, or a table row as itself. */
export function toRows(value: SensorMessage | SensorRow): SensorRow[] {
  const payload = (value as SensorMessage).payload;
  return Array.isArray(payload) ? payload.map(transpose) : [value as SensorRow];
}

/** Phone times are ns since the epoch, window ends ms: anything past 1e15 is ns. */
export function timeMs(time: number): number {
  return time > 1e15 ? Math.floor(time / 1_000_000) : time;
}

const num = (v: number | string | undefined) => typeof v === "number" ? v : null;

/** Phone messages or table rows → one row per 10 s window. */
export function downsample(
  input: StreamingDataFrame<SensorMessage | SensorRow> | StreamingDataFrame<SensorMessage>,
  duration: string | number = "10s",
): StreamingDataFrame<DownsampledRow> {
  return (input as StreamingDataFrame<SensorMessage | SensorRow>)
    .apply(toRows, { expand: true })
    .filter((r) => "accelerometer-x" in r || "location-latitude" in r)
    .setTimestamp((r) => timeMs(r.time))
    .apply((r): Sample => {
      const x = num(r["accelerometer-x"]), y = num(r["accelerometer-y"]);
      const z = num(r["accelerometer-z"]);
      return {
        g: x !== null && y !== null && z !== null ? Math.hypot(x, y, z) / G : null,
        latitude: num(r["location-latitude"]),
        longitude: num(r["location-longitude"]),
      };
    })
    .tumblingWindow(duration)
    .agg({
      "g-mean": Mean("g"),
      "g-max": Max("g"),
      latitude: Last("latitude"),
      longitude: Last("longitude"),
    })
    .final() as StreamingDataFrame<DownsampledRow>;
}

/** The InfluxDB sink the variables describe (undefined when `influx_url` is empty). */
export function influxSink(
  vars: Record<string, string | undefined>,
): InfluxDBSink<DownsampledRow> | undefined {
  if (!vars.influx_url) return undefined;
  const version = Number(vars.influx_version || "1");
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new Error(`variable influx_version must be 1, 2 or 3, not "${vars.influx_version}"`);
  }
  return new InfluxDBSink<DownsampledRow>({
    url: vars.influx_url,
    version,
    database: vars.influx_database || "sensors",
    org: vars.influx_org || undefined,
    token: vars.influx_token || undefined,
    measurement: vars.influx_measurement || "downsampled",
    keyTag: "session",
    fields: ["g-mean", "g-max", "latitude", "longitude"],
    time: (row) => row.start,
  });
}

export default defineApp({
  name: "downsampling",
  description:
    "10 s windows: mean and max g-force, last latitude/longitude; optionally to InfluxDB",
  variables: [
    {
      name: "input",
      inputType: "InputTopic",
      description: "Topic with phone messages or table rows",
      defaultValue: "table-data",
      required: true,
    },
    {
      name: "output",
      inputType: "OutputTopic",
      description: "Topic the downsampled rows are written to",
      defaultValue: "table-data-10s",
      required: true,
    },
    {
      name: "influx_url",
      inputType: "FreeText",
      description: "InfluxDB base URL, e.g. http://127.0.0.1:8086 (empty: no InfluxDB)",
    },
    { name: "influx_version", inputType: "FreeText", description: "1, 2 or 3", defaultValue: "1" },
    {
      name: "influx_database",
      inputType: "FreeText",
      description: "Database (v1/v3) or bucket (v2)",
      defaultValue: "sensors",
    },
    { name: "influx_org", inputType: "FreeText", description: "Organization (v2)" },
    { name: "influx_token", inputType: "Secret", description: "API token (v2/v3)" },
    {
      name: "influx_measurement",
      inputType: "FreeText",
      description: "Measurement name",
      defaultValue: "downsampled",
    },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "downsampling",
      autoOffsetReset: "earliest",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const input = app.topic<SensorMessage | SensorRow>(vars.input!);
    const output = app.topic<DownsampledRow>(vars.output!);
    const rows = downsample(app.dataframe(input)).print().toTopic(output);
    const influx = influxSink(vars);
    if (influx) {
      rows.sink(influx);
      console.log(`downsampling: writing 10 s windows to InfluxDB at ${vars.influx_url}`);
    }
    await app.run({ signal });
  },
});
