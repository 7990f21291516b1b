/**
 * Labelled training data: a recording (or a stream) through the same feature and label steps
 * the pipeline runs, then each feature window joined to the label segment covering it.
 *
 * @module
 */
import { TestApp } from "../stream/testing.ts";
import {
  activityFeatures,
  deviceReadings,
  type FeatureRow,
  featureVector,
  type SensorLoggerMessage,
} from "./features.ts";
import { LabelIndex, type LabelSegment, labelSegments } from "./labels.ts";

/** Feature rows and label segments of a recording. */
export interface RecordingFeatures {
  features: FeatureRow[];
  segments: LabelSegment[];
}

/**
 * Runs a JSON-lines Sensor Logger recording through {@link activityFeatures} and
 * {@link labelSegments} without a broker. A line that is not JSON fails naming its number.
 * Messages get Kafka timestamps of 0 (no ingest time: it is a file).
 */
export function recordingFeatures(text: string, file = "recording"): RecordingFeatures {
  const app = new TestApp({ consumerGroup: "ml" });
  const input = app.topic<SensorLoggerMessage>("raw");
  const readings = deviceReadings(app.dataframe(input));
  const features = app.collect(activityFeatures(readings));
  const segments = app.collect(labelSegments(readings));
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    let msg: SensorLoggerMessage;
    try {
      msg = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON: ${(e as Error).message}`);
    }
    app.push(input, msg, { key: file, timestamp: 0 });
  }
  return { features: features.map((r) => r.value), segments: segments.map((r) => r.value) };
}

/** Labelled examples: feature vectors, labels, the rows and the segments they come from. */
export interface Examples {
  /** Feature vectors. */
  x: number[][];
  /** Labels. */
  y: string[];
  /** The feature rows. */
  rows: FeatureRow[];
  /** `deviceId@segmentStart` of each example: windows of one segment stay on one split side. */
  groups: string[];
}

/** Joins feature rows to segments; unlabelled windows (spanning two activities) are left out. */
export function labelledExamples(
  features: readonly FeatureRow[],
  segments: readonly LabelSegment[],
  names: readonly string[],
  classes?: readonly string[],
): Examples {
  const index = new LabelIndex();
  for (const s of segments) index.add(s);
  const out: Examples = { x: [], y: [], rows: [], groups: [] };
  for (const row of features) {
    const segment = index.lookup(row.deviceId, row.start, row.end);
    if (segment === undefined || (classes && !classes.includes(segment.label))) continue;
    out.x.push(featureVector(row, names));
    out.y.push(segment.label);
    out.rows.push(row);
    out.groups.push(`${segment.deviceId}@${segment.start}`);
  }
  return out;
}
