/**
 * Labels from Sensor Logger `annotation` readings: the user taps a label when an activity
 * starts; it holds until the device's next annotation. A segment is only known once the next
 * annotation arrives, so labels reach the pipeline later than the readings they describe
 * (delayed labels). A window gets a label only when a segment covers it entirely; windows
 * spanning two activities stay unlabelled.
 *
 * @module
 */
import type { StreamingDataFrame } from "../stream/dataframe/dataframe.ts";
import type { DeviceReading } from "./features.ts";

/**
 * A closed label segment: `[start, end)` in ms of event time.
 *
 * @example
 * ```ts
 * import type { LabelSegment } from "@sa/toolkit";
 * const s: LabelSegment = { deviceId: "p1", label: "walking", start: 1000, end: 9000 };
 * ```
 */
export interface LabelSegment {
  /** The phone. */
  deviceId: string;
  /** The annotation's text (`still`, `walking`, ...). */
  label: string;
  /** Segment start (the annotation's time), ms. */
  start: number;
  /** Segment end (the next annotation's time), ms, exclusive. */
  end: number;
}

interface OpenLabel {
  label: string;
  start: number;
}

/**
 * Device readings (keyed by device) → a closed segment at each annotation after the first.
 *
 * @example
 * ```ts
 * import { deviceReadings, labelSegments, type SensorLoggerMessage, TestApp } from "@sa/toolkit";
 * const app = new TestApp();
 * const raw = app.topic<SensorLoggerMessage>("raw-activity");
 * const labels = app.collect(labelSegments(deviceReadings(app.dataframe(raw))));
 * const tap = (ms: number, text: string) => ({
 *   deviceId: "p1",
 *   payload: [{ name: "annotation", time: ms * 1e6, values: { text, millisecond_press_duration: 90 } }],
 * });
 * app.push(raw, tap(1000, "walking"));
 * app.push(raw, tap(9000, "running"));
 * console.log(labels[0].value); // { deviceId: "p1", label: "walking", start: 1000, end: 9000 }
 * ```
 */
export function labelSegments(
  readings: StreamingDataFrame<DeviceReading>,
): StreamingDataFrame<LabelSegment> {
  return readings
    .filter((r) =>
      r?.name === "annotation" && typeof r.values?.text === "string" &&
      typeof r.time === "number" && Number.isFinite(r.time)
    )
    .apply((r, state) => {
      const open = state.get<OpenLabel>("open");
      const t = r.time / 1e6;
      state.set<OpenLabel>("open", { label: String(r.values.text), start: t });
      if (!open || t <= open.start) return null;
      return { deviceId: r.deviceId, label: open.label, start: open.start, end: t };
    }, { stateful: true })
    .filter((s): s is LabelSegment => s !== null);
}

/** Closed segments by device, to label windows (`lookup`). */
export class LabelIndex {
  readonly #byDevice = new Map<string, LabelSegment[]>();

  /** Adds a segment (any order). */
  add(segment: LabelSegment): void {
    const list = this.#byDevice.get(segment.deviceId) ?? [];
    list.push(segment);
    this.#byDevice.set(segment.deviceId, list);
  }

  /** The segment covering `[start, end)` on `deviceId`, else undefined. */
  lookup(deviceId: string, start: number, end: number): LabelSegment | undefined {
    for (const s of this.#byDevice.get(deviceId) ?? []) {
      if (s.start <= start && end <= s.end) return s;
    }
    return undefined;
  }

  /** Every segment, in insertion order per device. */
  segments(): LabelSegment[] {
    return [...this.#byDevice.values()].flat();
  }
}
