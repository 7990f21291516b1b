/**
 * odometer (episode 2, state): the distance travelled, as a running sum kept in state.
 *
 * Each location reading adds the great-circle distance from the previous location of the
 * same device (message key) to a total kept in the key's state; the row written to `output`
 * carries the running total. State is durable (sqlite + changelog topic), so a restart, a
 * crash or a move to another machine continues the same total: no double counting, no loss.
 *
 * @module
 */
import { Application, defineApp, type State, type StreamingDataFrame } from "@sa/toolkit";
import type { SensorMessage } from "./normalize.ts";

/** A row of the odometer's output. */
export interface OdometerRow {
  /** Reading time, ns since the epoch. */
  time: number;
  latitude: number;
  longitude: number;
  /** Metres since the previous location of this device. */
  step: number;
  /** Metres since the device's first location. */
  total: number;
}

/** Mean Earth radius in metres. */
const EARTH_RADIUS_M = 6_371_000;

/** Great-circle distance in metres (haversine). */
export function haversine(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

interface Location {
  time: number;
  latitude: number;
  longitude: number;
}

/** Adds one location to the key's running total. */
export function advance(loc: Location, state: State): OdometerRow {
  const last = state.get<[number, number]>("last");
  const step = last ? haversine(last[0], last[1], loc.latitude, loc.longitude) : 0;
  const total = (state.get<number>("total", 0) ?? 0) + step;
  state.set("last", [loc.latitude, loc.longitude]);
  state.set("total", total);
  return { time: loc.time, latitude: loc.latitude, longitude: loc.longitude, step, total };
}

/** Raw phone messages → one odometer row per location reading. */
export function odometer(
  messages: StreamingDataFrame<SensorMessage>,
): StreamingDataFrame<OdometerRow> {
  return messages
    .apply((m) => m.payload, { expand: true })
    .filter((r) => r.name === "location")
    .apply((r) => ({
      time: r.time,
      latitude: Number(r.values.latitude),
      longitude: Number(r.values.longitude),
    }))
    .apply(advance, { stateful: true });
}

export default defineApp({
  name: "odometer",
  description: "Distance travelled per device: a running sum kept in durable state",
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
      description: "Topic the running totals are written to",
      defaultValue: "odometer",
      required: true,
    },
    {
      name: "commit_interval",
      inputType: "FreeText",
      description: "Checkpoint interval in ms (default 5000)",
      defaultValue: "5000",
      required: false,
    },
    {
      name: "processing_guarantee",
      inputType: "FreeText",
      description: '"at-least-once" (default) or "exactly-once"',
      defaultValue: "at-least-once",
      required: false,
    },
  ],
  async main(vars, signal) {
    const app = new Application({
      consumerGroup: "odometer",
      autoOffsetReset: "earliest",
      commitInterval: Number(vars.commit_interval ?? 5000),
      processingGuarantee: vars.processing_guarantee === "exactly-once"
        ? "exactly-once"
        : "at-least-once",
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 1_000 },
    });
    const input = app.topic<SensorMessage>(vars.input!);
    const output = app.topic<OdometerRow>(vars.output!);
    odometer(app.dataframe(input)).toTopic(output);
    await app.run({ signal });
  },
});
