/**
 * `printTable`: the course's ConsoleSink. On a terminal it keeps the latest rows in a table
 * redrawn in place; otherwise (pipes, logs, `sa up` prefixes) it prints one line per row.
 *
 * @module
 */

import type { Runtime } from "./_pipeline.ts";

/**
 * Options of `printTable`.
 *
 * @example
 * ```ts
 * import { TestApp } from "@sa/toolkit";
 * const app = new TestApp();
 * app.dataframe(app.topic("in")).printTable({ size: 10, title: "shakes", columns: ["time", "total"] });
 * ```
 */
export interface PrintTableOptions {
  /** Rows kept in the live table (default 5). */
  size?: number;
  /** Title shown above the table. */
  title?: string;
  /** Columns to show, in order (default: the union of the rows' columns, in first-seen order). */
  columns?: readonly string[];
  /** Add `_key` and `_timestamp` columns (default false). */
  metadata?: boolean;
  /** Minimum time between redraws on a terminal, in ms (default 250). */
  slowdownMs?: number;
}

function cell(v: unknown): string {
  if (v === undefined) return "";
  if (typeof v === "number") {
    return Number.isInteger(v) ? String(v) : v.toFixed(4).replace(/0+$/, "");
  }
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return JSON.stringify(v) ?? String(v);
}

/** Renders rows as a boxed text table. */
export function renderTable(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  title?: string,
): string {
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (l: string, m: string, r: string) =>
    l + widths.map((w) => "─".repeat(w + 2)).join(m) + r;
  const row = (vals: string[]) =>
    "│" + vals.map((v, i) => ` ${v.padEnd(widths[i])} `).join("│") + "│";
  const out: string[] = [];
  if (title) out.push(title);
  out.push(line("┌", "┬", "┐"), row([...columns]), line("├", "┼", "┤"));
  for (const r of cells) out.push(row(r));
  out.push(line("└", "┴", "┘"));
  return out.join("\n");
}

/** The per-pipeline printer behind `printTable`. */
export function tablePrinter(
  options: PrintTableOptions,
  rt: Runtime,
): { add(value: unknown, key: unknown, timestamp: number): void } {
  const size = options.size ?? 5;
  const slowdown = options.slowdownMs ?? 250;
  const rows: Record<string, unknown>[] = [];
  const seen = new Set<string>(options.columns ?? []);
  let lastDraw = 0;
  let drawnLines = 0;
  let dirty = false;

  const toRow = (value: unknown, key: unknown, timestamp: number): Record<string, unknown> => {
    const base = value !== null && typeof value === "object" && !Array.isArray(value)
      ? { ...(value as Record<string, unknown>) }
      : { value };
    return options.metadata ? { _key: key, _timestamp: timestamp, ...base } : base;
  };

  const draw = () => {
    const columns = [...seen];
    const text = renderTable(rows, columns, options.title);
    const clear = drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[J` : "";
    rt.stdout(clear + text);
    drawnLines = text.split("\n").length;
    lastDraw = Date.now();
    dirty = false;
  };

  if (rt.isTerminal) {
    // Redraw pending rows at each checkpoint, so the table is never left stale for long.
    rt.sinks.add({ add() {}, flush: () => dirty ? draw() : undefined });
  }

  return {
    add(value, key, timestamp) {
      const row = toRow(value, key, timestamp);
      if (!rt.isTerminal) {
        const shown = options.columns
          ? Object.fromEntries(options.columns.map((c) => [c, row[c]]))
          : row;
        rt.stdout(JSON.stringify(shown));
        return;
      }
      if (!options.columns) { for (const c of Object.keys(row)) seen.add(c); }
      rows.push(row);
      if (rows.length > size) rows.shift();
      dirty = true;
      if (Date.now() - lastDraw >= slowdown) draw();
    },
  };
}
