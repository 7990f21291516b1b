/**
 * downsampling (episode 3): 10 s tumbling windows over the phone's readings giving the mean
 * and the peak g-force (accelerometer magnitude / 9.81) and the last known position.
 *
 * @module
 */
import { Application, defineApp, Last, Max, Mean, type StreamingDataFrame } from "@sa/toolkit";
import type { SensorMessage } from "./normalize.ts";

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

/** Raw phone messages → one row per 10 s window. */
export function downsample(
  messages: StreamingDataFrame<SensorMessage>,
  duration: string | number = "10s",
): StreamingDataFrame<DownsampledRow> {
  return messages
    .apply((m) => m.payload, { expand: true })
    .filter((r) => r.name === "accelerometer" || r.name === "location")
    .setTimestamp((r) => Math.floor(r.time / 1_000_000))
    .apply((r): Sample => {
      const v = r.values as Record<string, number>;
      return r.name === "accelerometer"
        ? { g: Math.hypot(v.x, v.y, v.z) / G, latitude: null, longitude: null }
        : { g: null, latitude: v.latitude, longitude: v.longitude };
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

export default defineApp({
  name: "downsampling",
  description: "10 s windows: mean and max g-force, last latitude/longitude",
  variables: [
    {
      name: "input",
      inputType: "InputTopic",
      description: "Topic with the raw phone messages",
      defaultValue: "raw-data",
      required: true,
    },
    {
      name: "output",
      inputType: "OutputTopic",
      description: "Topic the downsampled rows are written to",
      defaultValue: "downsampled",
      required: true,
    },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "downsampling",
      autoOffsetReset: "earliest",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const input = app.topic<SensorMessage>(vars.input!);
    const output = app.topic<DownsampledRow>(vars.output!);
    downsample(app.dataframe(input)).print().toTopic(output);
    await app.run({ signal });
  },
});
