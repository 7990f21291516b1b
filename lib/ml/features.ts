/**
 * Activity features: the one dataframe step that turns phone readings into windowed feature
 * rows, used by training and by inference alike, so the two can never compute them differently.
 *
 * Per device, hopping windows of 2 s stepping every 1 s (grace 0.5 s) over the accelerometer;
 * for each axis and for the magnitude `sqrt(x² + y² + z²)`: mean, standard deviation
 * (population), minimum, maximum and zero-crossing rate (the share of consecutive samples on
 * opposite sides of the window's mean: a cheap frequency measure, about 2 × frequency /
 * sample rate for a sine).
 *
 * @module
 */
import type { StreamingDataFrame } from "../stream/dataframe/dataframe.ts";

/** One reading of a Sensor Logger message (`time` in ns since the epoch). */
export interface SensorLoggerReading {
  /** Sensor name (`accelerometer`, `annotation`, ...). */
  name: string;
  /** Nanoseconds since the epoch. */
  time: number;
  /** One value per dimension (`x`, `y`, `z`; `text` for an annotation). */
  values: Record<string, number | string>;
}

/** A Sensor Logger HTTP push body, as the phone (or the replay app) sends it. */
export interface SensorLoggerMessage {
  /** Increments per message (messages can arrive out of order). */
  messageId?: number;
  /** The recording session. */
  sessionId?: string;
  /** The phone. */
  deviceId: string;
  /** The readings of this batch. */
  payload: SensorLoggerReading[];
}

/** A reading tagged with its device and the time the message reached Kafka. */
export interface DeviceReading extends SensorLoggerReading {
  /** The phone that made the reading. */
  deviceId: string;
  /** Kafka timestamp of the message that carried it (ms): the start of the pipeline latency. */
  ingestMs: number;
}

/** One accelerometer sample: time in ms and the three axes. */
export interface AccelSample {
  /** Time, ms since the epoch. */
  t: number;
  /** Acceleration along x, m/s². */
  x: number;
  /** Acceleration along y, m/s². */
  y: number;
  /** Acceleration along z, m/s². */
  z: number;
  /** Kafka timestamp of the message that carried it (ms). */
  ingestMs?: number;
}

/** Axes the features are computed on: the three accelerometer axes and the magnitude. */
export const FEATURE_AXES = ["x", "y", "z", "mag"] as const;
/** Statistics per axis. */
export const FEATURE_STATS = ["mean", "std", "min", "max", "zcr"] as const;
/**
 * Feature names in model order: `x_mean, x_std, ..., mag_zcr` (20 features).
 *
 * @example
 * ```ts
 * import { FEATURE_NAMES } from "@sa/toolkit";
 * console.log(FEATURE_NAMES.length, FEATURE_NAMES[0]); // 20 x_mean
 * ```
 */
export const FEATURE_NAMES: readonly string[] = FEATURE_AXES.flatMap((a) =>
  FEATURE_STATS.map((s) => `${a}_${s}`)
);
/** Identifies the feature computation; a model trained on another schema is refused. */
export const FEATURE_SCHEMA = "accel-2s-v1";

/** Window of the feature step; windows with fewer than `minSamples` samples are dropped. */
export const FEATURE_WINDOW = {
  durationMs: 2000,
  stepMs: 1000,
  graceMs: 500,
  minSamples: 20,
} as const;

/**
 * A feature row, as written to the `features` topic.
 *
 * @example
 * ```ts
 * import type { FeatureRow } from "@sa/toolkit";
 * const shaking = (row: FeatureRow) => row.features.mag_std > 10;
 * ```
 */
export interface FeatureRow {
  /** The phone (also the record key). */
  deviceId: string;
  /** Window start and end, ms since the epoch (event time). */
  start: number;
  /** Window end (exclusive). */
  end: number;
  /** Samples in the window. */
  samples: number;
  /** Latest Kafka timestamp among the window's messages (ms). */
  ingestMs: number;
  /** Feature schema ({@link FEATURE_SCHEMA}). */
  schema: string;
  /** One value per name of {@link FEATURE_NAMES}. */
  features: Record<string, number>;
}

function stats(values: number[]): number[] {
  const n = values.length;
  let sum = 0, min = Infinity, max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let sq = 0, crossings = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean;
    sq += d * d;
    if (i > 0 && (values[i - 1] - mean) * d < 0) crossings++;
  }
  return [mean, Math.sqrt(sq / n), min, max, n > 1 ? crossings / (n - 1) : 0];
}

/**
 * The features of one window's samples (sorted by time here; input order does not matter).
 *
 * @example
 * ```ts
 * import { computeFeatures } from "@sa/toolkit";
 * const f = computeFeatures([{ t: 0, x: 1, y: 0, z: 3 }, { t: 50, x: -1, y: 1, z: 3 }]);
 * console.log(f.x_mean, f.x_std, f.x_zcr); // 0 1 1
 * ```
 */
export function computeFeatures(samples: readonly AccelSample[]): Record<string, number> {
  if (samples.length === 0) throw new Error("computeFeatures: no samples");
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const axes = [
    sorted.map((s) => s.x),
    sorted.map((s) => s.y),
    sorted.map((s) => s.z),
    sorted.map((s) => Math.sqrt(s.x * s.x + s.y * s.y + s.z * s.z)),
  ];
  const out: Record<string, number> = {};
  axes.forEach((values, a) => {
    stats(values).forEach((v, s) => out[`${FEATURE_AXES[a]}_${FEATURE_STATS[s]}`] = v);
  });
  return out;
}

/** A feature row's values in `names` order; throws naming the first missing feature. */
export function featureVector(row: FeatureRow, names: readonly string[]): number[] {
  const out = new Array<number>(names.length);
  for (let i = 0; i < names.length; i++) {
    const v = row.features[names[i]];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new Error(
        `feature row of ${row.deviceId} at ${row.start} has no value for ${names[i]}`,
      );
    }
    out[i] = v;
  }
  return out;
}

/**
 * Raw Sensor Logger messages → one row per reading, tagged with `deviceId` and the message's
 * Kafka timestamp, re-keyed by device (repartition topic `...--device`).
 *
 * @example
 * ```ts
 * import { deviceReadings, type SensorLoggerMessage, TestApp } from "@sa/toolkit";
 * const app = new TestApp();
 * const raw = app.topic<SensorLoggerMessage>("raw-activity");
 * const rows = app.collect(deviceReadings(app.dataframe(raw)));
 * app.push(raw, { deviceId: "p1", payload: [{ name: "accelerometer", time: 1e15, values: { x: 1, y: 2, z: 3 } }] });
 * console.log(rows[0].key, rows[0].value.name); // p1 accelerometer
 * ```
 */
export function deviceReadings(
  messages: StreamingDataFrame<SensorLoggerMessage>,
): StreamingDataFrame<DeviceReading> {
  return messages
    .apply(
      (m: SensorLoggerMessage, _key: unknown, ts: number) =>
        (Array.isArray(m?.payload) ? m.payload : []).map((r) => ({
          ...r,
          deviceId: String(m.deviceId),
          ingestMs: ts,
        })),
      { expand: true, metadata: true },
    )
    .groupBy((r: DeviceReading) => r.deviceId, { name: "device", keySerializer: "string" });
}

/**
 * Device readings → feature rows (the accelerometer only).
 *
 * @example
 * ```ts
 * import { activityFeatures, deviceReadings, type SensorLoggerMessage, TestApp } from "@sa/toolkit";
 * const app = new TestApp();
 * const raw = app.topic<SensorLoggerMessage>("raw-activity");
 * activityFeatures(deviceReadings(app.dataframe(raw))).toTopic(app.topic("features"));
 * ```
 */
export function activityFeatures(
  readings: StreamingDataFrame<DeviceReading>,
): StreamingDataFrame<FeatureRow> {
  const w = FEATURE_WINDOW;
  return readings
    // Readings without a numeric time and axes are skipped, not fatal: one bad phone message
    // must not stop the stream.
    .filter((r) =>
      r?.name === "accelerometer" && typeof r.time === "number" && Number.isFinite(r.time) &&
      typeof r.values?.x === "number" && typeof r.values.y === "number" &&
      typeof r.values.z === "number"
    )
    .apply((r): AccelSample => ({
      t: r.time / 1e6,
      x: r.values.x as number,
      y: r.values.y as number,
      z: r.values.z as number,
      ingestMs: r.ingestMs,
    }))
    .setTimestamp((s) => Math.floor(s.t))
    .hoppingWindow(w.durationMs, w.stepMs, w.graceMs, { name: "features" })
    .collect()
    .final()
    .filter((win) => (win.value as AccelSample[]).length >= w.minSamples)
    .apply((win, key: unknown): FeatureRow => {
      const samples = win.value as AccelSample[];
      return {
        deviceId: String(key),
        start: win.start,
        end: win.end,
        samples: samples.length,
        ingestMs: Math.max(...samples.map((s) => s.ingestMs ?? 0)),
        schema: FEATURE_SCHEMA,
        features: computeFeatures(samples),
      };
    }, { metadata: true });
}
