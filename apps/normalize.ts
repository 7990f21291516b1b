/**
 * normalize: the course's episode-1 normalization service, step by step.
 *
 * Each raw message from the phone carries a batch of sensor readings. This service expands
 * the batch into one row per reading, transposes each reading into `<sensor>-<dimension>`
 * columns, keeps the accelerometer rows, computes the total force |x| + |y| + |z| and keeps
 * the rows above 50 (a shake), printing them and writing them to `output` under the
 * message's key.
 *
 * @module
 */
import { Application, defineApp, type StreamingDataFrame } from "@sa/toolkit";

/** One sensor reading inside a raw message. */
export interface SensorReading {
  /** Sensor name: accelerometer, gyroscope, location, battery, ... */
  name: string;
  /** Nanoseconds since the epoch. */
  time: number;
  /** One value per dimension; battery has strings (batteryState, lowPowerMode). */
  values: Record<string, number | string>;
}

/** A raw message, as the phone app (and the replay service) sends it. */
export interface SensorMessage {
  messageId: number;
  sessionId: string;
  deviceId: string;
  payload: SensorReading[];
}

/** A transposed reading: the time plus one `<sensor>-<dimension>` column per value. */
export type SensorRow = { time: number } & Record<string, number | string>;

/** A normalized accelerometer row, as written to `output`. */
export interface AccelerometerRow {
  time: number;
  "accelerometer-x": number;
  "accelerometer-y": number;
  "accelerometer-z": number;
  "accelerometer-total": number;
}

/** Rows whose total force is above this are kept (the course's shake threshold). */
export const SHAKE_THRESHOLD = 50;

/** `{name, time, values}` → `{time, "<name>-<dim>": value, ...}`, in the values' order. */
export function transpose(reading: SensorReading): SensorRow {
  const row: Record<string, number | string> = { time: reading.time };
  for (const [dimension, value] of Object.entries(reading.values)) {
    row[`${reading.name}-${dimension}`] = value;
  }
  return row as SensorRow;
}

/** Python's abs(): numbers only; a string is a type error, not a silent coercion. */
function abs(value: number | string, column: string): number {
  if (typeof value !== "number") {
    throw new TypeError(`column "${column}" is not a number: ${JSON.stringify(value)}`);
  }
  return Math.abs(value);
}

/** The normalization steps, from raw messages to shake rows. */
export function normalize(
  messages: StreamingDataFrame<SensorMessage>,
): StreamingDataFrame<AccelerometerRow> {
  return messages
    // 1. One row per sensor reading.
    .apply((message) => message.payload, { expand: true })
    // 2. Transpose to sensor-dimension columns.
    .apply(transpose)
    // 3. Keep the accelerometer rows.
    .contains("accelerometer-x")
    // 4. Keep the time and the three axes.
    .project(["time", "accelerometer-x", "accelerometer-y", "accelerometer-z"])
    // 5. Total force.
    .assign(
      "accelerometer-total",
      (row) =>
        abs(row["accelerometer-x"], "accelerometer-x") +
        abs(row["accelerometer-y"], "accelerometer-y") +
        abs(row["accelerometer-z"], "accelerometer-z"),
    )
    // 6. Keep the shakes.
    .filter((row) => row["accelerometer-total"] > SHAKE_THRESHOLD) as StreamingDataFrame<
      AccelerometerRow
    >;
}

export default defineApp({
  name: "normalize",
  description: "Expands phone sensor batches into accelerometer rows and keeps the shakes",
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
      description: "Topic the normalized rows are written to",
      defaultValue: "table-data",
      required: true,
    },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "normalize",
      autoOffsetReset: "earliest",
      // A replaced instance (crash, restart) gets the partitions back once the old one's
      // session expires: 10 s instead of Kafka's 30 s keeps local restarts snappy.
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const input = app.topic<SensorMessage>(vars.input!);
    const output = app.topic<AccelerometerRow>(vars.output!);
    normalize(app.dataframe(input))
      // 7. Print each row as the seed does: its values, one line per row.
      .update((row) => console.log(JSON.stringify(Object.values(row))))
      // 8. Write to the output topic, keeping the message key.
      .toTopic(output);
    await app.run({ signal });
  },
});
