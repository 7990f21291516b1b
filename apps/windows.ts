/**
 * windows (episode 2): three windows over episode 1's accelerometer rows (`table-data`), each
 * row written to `output` tagged with the window it comes from:
 * - `tumbling-mean`: mean total force per 10 s;
 * - `tumbling-reduce`: a custom reduce per 10 s keeping min, max and count;
 * - `hopping-mean`: mean total force over 10 s windows sliding every 5 s.
 *
 * @module
 */
import { Application, defineApp, type StreamingDataFrame } from "@sa/toolkit";
import type { AccelerometerRow } from "./normalize.ts";

/** The custom reduce's state and result. */
export interface Stats {
  min: number;
  max: number;
  count: number;
}

/** A window row as written to `output`. */
export interface WindowRow {
  window: "tumbling-mean" | "tumbling-reduce" | "hopping-mean";
  start: number;
  end: number;
  value: number | null | Stats;
}

/** The three windows, branched from one dataframe of accelerometer rows. */
export function windows(
  rows: StreamingDataFrame<AccelerometerRow>,
): StreamingDataFrame<WindowRow>[] {
  const totals = rows
    .setTimestamp((r) => Math.floor(r.time / 1_000_000))
    .apply((r) => r["accelerometer-total"]);
  const tag =
    (window: WindowRow["window"]) =>
    (w: { start: number; end: number; value: WindowRow["value"] }) => ({
      window,
      start: w.start,
      end: w.end,
      value: w.value,
    });
  return [
    totals.tumblingWindow("10s").mean().final().apply(tag("tumbling-mean")),
    totals.tumblingWindow("10s").reduce(
      (s: Stats, v) => ({ min: Math.min(s.min, v), max: Math.max(s.max, v), count: s.count + 1 }),
      (v) => ({ min: v, max: v, count: 1 }),
    ).final().apply(tag("tumbling-reduce")),
    totals.hoppingWindow("10s", "5s").mean().final().apply(tag("hopping-mean")),
  ];
}

export default defineApp({
  name: "windows",
  description: "Tumbling mean, custom reduce and hopping mean over the accelerometer totals",
  variables: [
    {
      name: "input",
      inputType: "InputTopic",
      description: "Topic with episode 1's accelerometer rows",
      defaultValue: "table-data",
      required: true,
    },
    {
      name: "output",
      inputType: "OutputTopic",
      description: "Topic the window rows are written to",
      defaultValue: "windows",
      required: true,
    },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "windows",
      autoOffsetReset: "earliest",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const input = app.topic<AccelerometerRow>(vars.input!);
    const output = app.topic<WindowRow>(vars.output!);
    for (const sdf of windows(app.dataframe(input))) sdf.print().toTopic(output);
    await app.run({ signal });
  },
});
