/**
 * Terminal output helpers: aligned tables and colour that is used only on a TTY.
 *
 * @module
 */

/** ANSI colours by name. */
const CODES = {
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  gray: 90,
  bold: 1,
} as const;

/** A colour name. */
export type Colour = keyof typeof CODES;

/** Colour is for terminals only, and off when NO_COLOR is set (https://no-color.org). */
export function colourEnabled(
  env: { isTty: boolean; env: Readonly<Record<string, string>> },
): boolean {
  return env.isTty && !env.env.NO_COLOR;
}

/** Wraps `text` in a colour when `enabled` (stdout is a TTY), else returns it unchanged. */
export function colour(enabled: boolean, name: Colour, text: string): string {
  return enabled ? `\x1b[${CODES[name]}m${text}\x1b[0m` : text;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** Display width of a string, ignoring colour codes. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, "").length;
}

/**
 * Formats rows as a table: columns padded to the widest cell, two spaces apart; numbers
 * (cells that look numeric) are right-aligned. Cells may contain colour codes.
 */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((r) => visibleLength(r[c] ?? ""))));
  const numeric = header.map((_, c) =>
    rows.length > 0 && rows.every((r) => /^-?\d+$|^-$/.test((r[c] ?? "").replace(ANSI, "")))
  );
  const line = (r: string[]) =>
    r.map((cell, c) => {
      const pad = " ".repeat(widths[c] - visibleLength(cell ?? ""));
      return numeric[c] ? pad + cell : c === r.length - 1 ? cell : cell + pad;
    }).join("  ").trimEnd();
  return all.map(line).join("\n") + "\n";
}
