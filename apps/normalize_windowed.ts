/**
 * normalize_windowed (episode 2, windows): the phone's sensors report at different rates and
 * out of step, so episode 1's rows are ragged. This service merges them into an even table:
 * a hopping window of 10 s stepping every 1 s (grace 1 s) folds every reading of the last
 * 10 s into one row, later readings overwriting earlier ones, so each second yields one row
 * with the latest value of every sensor dimension.
 *
 * @module
 */
import { Application, defineApp, type StreamingDataFrame } from "@sa/toolkit";
import { type SensorMessage, type SensorRow, transpose } from "./normalize.ts";

/** One row of the even table: window end (ms) plus the latest value of every column. */
export type EvenRow = { time: number } & Record<string, number | string>;

/** Window length, step and grace of the course's normalization. */
export const WINDOW = { duration: "10s", step: "1s", grace: "1s" } as const;

/** Merges `row` into `acc` (later readings win). */
export function merge(
  acc: Record<string, number | string>,
  row: SensorRow,
): Record<string, number | string> {
  for (const [k, v] of Object.entries(row)) if (k !== "time") acc[k] = v;
  return acc;
}

/** Raw phone messages → one even row per second. */
export function normalizeWindowed(
  messages: StreamingDataFrame<SensorMessage>,
): StreamingDataFrame<EvenRow> {
  return messages
    .apply((m) => m.payload, { expand: true })
    .apply(transpose)
    // Event time = the reading's time (ns → ms), not the message's.
    .setTimestamp((row) => Math.floor(row.time / 1_000_000))
    .hoppingWindow(WINDOW.duration, WINDOW.step, WINDOW.grace)
    .reduce(merge, (row) => merge({}, row))
    .final()
    .apply((w) => ({ time: w.end, ...w.value }) as EvenRow);
}

export default defineApp({
  name: "normalize_windowed",
  description: "Merges misaligned sensor readings into an even table, one row per second",
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
      description: "Topic the even rows are written to",
      defaultValue: "normalized-data",
      required: true,
    },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "normalize-windowed",
      autoOffsetReset: "earliest",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const input = app.topic<SensorMessage>(vars.input!);
    const output = app.topic<EvenRow>(vars.output!);
    normalizeWindowed(app.dataframe(input)).toTopic(output);
    await app.run({ signal });
  },
});
