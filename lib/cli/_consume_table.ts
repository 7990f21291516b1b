/**
 * `sa consume --format table`: aligned columns, with a JSON object value spread over one
 * column per field (the fields of the first message; later new fields are appended as
 * `name=value`), and headers at the end of the line.
 *
 * @module
 */
import type { KafkaMessage } from "kafkajs";
import { colour } from "./_table.ts";

const FIXED = [["PARTITION", 9, "start"], ["OFFSET", 10, "start"], ["TIME", 24, "end"], [
  "KEY",
  20,
  "end",
]] as const;

const decoder = new TextDecoder();

function text(b: Uint8Array | null | undefined): string | null {
  return b == null ? null : decoder.decode(b);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parse(s: string | null): unknown {
  if (s === null) return null;
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function cell(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v) ?? "";
  return s.replace(/\s*\n\s*/g, " ");
}

/** Headers as `k=v` pairs (values decoded as text). */
export function headerText(headers: KafkaMessage["headers"]): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(headers ?? {})) {
    const vs = Array.isArray(v) ? v : [v];
    for (const one of vs) parts.push(`${k}=${text(one as Uint8Array | null) ?? ""}`);
  }
  return parts.join(" ");
}

/** Writes table rows; the header comes with the first row, from its value's shape. */
export class TableWriter {
  #fields: string[] | null = null;
  #widths: number[] = [];

  constructor(readonly tty = false) {}

  /** One message as a line (with the header line before the first). */
  row(partition: number, m: KafkaMessage): string {
    const value = parse(text(m.value));
    let out = "";
    if (this.#fields === null) {
      this.#fields = isObject(value) ? Object.keys(value) : ["VALUE"];
      this.#widths = this.#fields.map((f) =>
        Math.max(f.length, isObject(value) ? cell(value[f]).length : 0)
      );
      const head = [
        ...FIXED.map(([h, w, side]) => side === "start" ? h.padStart(w) : h.padEnd(w)),
        ...this.#fields.map((f, i) =>
          i === this.#fields!.length - 1 ? f : f.padEnd(this.#widths[i])
        ),
      ];
      out += colour(this.tty, "bold", head.join("  ").trimEnd()) + "\n";
    }
    const ts = Number(m.timestamp);
    const time = Number.isFinite(ts) ? new Date(ts).toISOString() : "-";
    const key = text(m.key) ?? "";
    const cols = [
      String(partition).padStart(9),
      m.offset.padStart(10),
      colour(this.tty, "gray", time.padEnd(24)),
      colour(this.tty, "cyan", (key.length > 20 ? key.slice(0, 19) + "…" : key).padEnd(20)),
    ];
    const fields = this.#fields;
    let extra = "";
    if (fields.length === 1 && fields[0] === "VALUE" && !isObject(value)) {
      cols.push(cell(value ?? "null"));
    } else if (isObject(value)) {
      fields.forEach((f, i) => {
        const c = f in value ? cell(value[f]) : "";
        cols.push(i === fields.length - 1 ? c : c.padEnd(this.#widths[i]));
      });
      extra = Object.keys(value).filter((k) => !fields.includes(k)).map((k) =>
        `${k}=${cell(value[k])}`
      ).join(" ");
    } else {
      // A value that does not fit the columns: shown whole in the first one.
      cols.push(cell(value ?? "null"));
    }
    const headers = headerText(m.headers);
    let line = cols.join("  ");
    if (extra) line += `  ${extra}`;
    if (headers) line += `  ${colour(this.tty, "gray", `[${headers}]`)}`;
    return out + line.trimEnd() + "\n";
  }
}
