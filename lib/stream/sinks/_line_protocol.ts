/**
 * InfluxDB line protocol: `measurement,tag=v field=1.5,name="text" <time>`. Numbers are
 * written as floats (no `i` suffix), so a field never changes type between points.
 *
 * @module
 */

/** One point. */
export interface Point {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  /** Time in ms since the epoch. */
  timeMs: number;
}

const escMeasurement = (s: string) => s.replace(/[\\, ]/g, (c) => `\\${c}`);
const escKey = (s: string) => s.replace(/[\\,= ]/g, (c) => `\\${c}`);
const escString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

/** One line (without a newline); undefined when the point has no usable field. */
export function toLine(p: Point): string | undefined {
  let fields = "";
  for (const [k, v] of Object.entries(p.fields)) {
    let text: string;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) continue; // InfluxDB has no NaN or Infinity
      text = String(v);
    } else if (typeof v === "boolean") text = v ? "true" : "false";
    else if (typeof v === "string") text = escString(v);
    else continue;
    fields += `${fields ? "," : ""}${escKey(k)}=${text}`;
  }
  if (!fields) return undefined;
  let head = escMeasurement(p.measurement);
  for (const k of Object.keys(p.tags).sort()) {
    const v = p.tags[k];
    if (v === "") continue; // an empty tag value is invalid line protocol
    head += `,${escKey(k)}=${escKey(v)}`;
  }
  return `${head} ${fields} ${Math.trunc(p.timeMs)}`;
}
