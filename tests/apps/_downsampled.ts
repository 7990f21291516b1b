/**
 * The independent expectation for apps/downsampling.ts: the recording's closed 10 s windows
 * computed in batch form (no windows engine): accelerometer magnitude / g, last position.
 */
import { G } from "../../apps/downsampling.ts";
import type { SensorMessage } from "../../apps/normalize.ts";

/** One expected window. */
export interface ExpectedWindow {
  start: number;
  mean: number | null;
  max: number | null;
  latitude: number | null;
  longitude: number | null;
}

/**
 * Window [s, s+10 s) gets every reading that arrived while the key's clock was below its end;
 * a window is emitted once the final clock reaches its end.
 */
export function expectedDownsampled(messages: SensorMessage[]): ExpectedWindow[] {
  const rs: { ts: number; clock: number; g?: number; lat?: number; lon?: number }[] = [];
  let clock = 0;
  for (const m of messages) {
    for (const r of m.payload) {
      if (r.name !== "accelerometer" && r.name !== "location") continue;
      const ts = Math.floor(r.time / 1_000_000);
      clock = Math.max(clock, ts);
      const v = r.values as Record<string, number>;
      rs.push(
        r.name === "accelerometer"
          ? { ts, clock, g: Math.sqrt(v.x * v.x + v.y * v.y + v.z * v.z) / G }
          : { ts, clock, lat: v.latitude, lon: v.longitude },
      );
    }
  }
  const by = new Map<number, typeof rs>();
  for (const r of rs) {
    const s = r.ts - (r.ts % 10_000);
    if (s + 10_000 <= r.clock) continue; // late
    by.set(s, [...(by.get(s) ?? []), r]);
  }
  return [...by].filter(([s]) => s + 10_000 <= clock).sort((a, b) => a[0] - b[0]).map(
    ([s, group]) => {
      const gs = group.filter((r) => r.g !== undefined).map((r) => r.g!);
      const locs = group.filter((r) => r.lat !== undefined);
      return {
        start: s,
        mean: gs.length ? gs.reduce((a, b) => a + b, 0) / gs.length : null,
        max: gs.length ? Math.max(...gs) : null,
        latitude: locs.length ? locs[locs.length - 1].lat! : null,
        longitude: locs.length ? locs[locs.length - 1].lon! : null,
      };
    },
  );
}
