/**
 * group_by (episode 2): how many readings each sensor sent per 10 s. The raw messages are keyed
 * by the recording (one key for the whole phone); `groupBy("sensor")` re-keys the readings by
 * sensor name through a repartition topic, so each sensor gets its own window state, and a
 * tumbling window counts them.
 *
 * @module
 */
import { Application, Count, defineApp, Latest, type StreamingDataFrame } from "@sa/toolkit";
import type { SensorMessage } from "./normalize.ts";

/** One reading, with the sensor it comes from as a column to group by. */
export interface SensorTick {
  sensor: string;
  /** Reading time, ns since the epoch. */
  time: number;
}

/** A row of the output: readings of one sensor in one 10 s window. */
export interface SensorCount {
  sensor: string;
  start: number;
  end: number;
  readings: number;
}

/** Raw phone messages → per sensor, the number of readings per 10 s. */
export function countBySensor(
  messages: StreamingDataFrame<SensorMessage>,
): StreamingDataFrame<SensorCount> {
  return messages
    .apply((m) => m.payload, { expand: true })
    .apply((r): SensorTick => ({ sensor: r.name, time: r.time }))
    // Event time = the reading's time (ns → ms).
    .setTimestamp((t) => Math.floor(t.time / 1_000_000))
    .groupBy("sensor")
    .tumblingWindow("10s")
    .agg({ sensor: Latest("sensor"), readings: Count() })
    .final()
    .apply((w): SensorCount => ({
      sensor: String(w.sensor),
      start: w.start,
      end: w.end,
      readings: w.readings,
    }));
}

export default defineApp({
  name: "group_by",
  description: "Readings per sensor per 10 s: groupBy re-keys by sensor, a window counts",
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
      description: "Topic the per-sensor counts are written to",
      defaultValue: "sensor-counts",
      required: true,
    },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "group_by",
      autoOffsetReset: "earliest",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const input = app.topic<SensorMessage>(vars.input!);
    const output = app.topic<SensorCount>(vars.output!);
    countBySensor(app.dataframe(input)).print().toTopic(output);
    await app.run({ signal });
  },
});
