/**
 * Per-deployment line prefixes for `sa up`: `name | line`, names padded to the same width,
 * each name in its own colour when the output is a terminal (and NO_COLOR is not set).
 *
 * @module
 */

const COLOURS = [36, 35, 33, 32, 34, 91, 96, 95, 93, 92];

/** Formats output lines of several named sources. */
export class Prefixer {
  readonly #width: number;
  readonly #colour = new Map<string, number>();

  constructor(names: string[], readonly colour: boolean) {
    this.#width = Math.max(0, ...names.map((n) => n.length));
    names.forEach((n, i) => this.#colour.set(n, COLOURS[i % COLOURS.length]));
  }

  /** `name | line`, coloured when enabled. */
  line(name: string, text: string): string {
    const label = name.padEnd(this.#width);
    if (!this.colour) return `${label} | ${text}`;
    const c = this.#colour.get(name) ?? 90;
    return `\x1b[${c}m${label} |\x1b[0m ${text}`;
  }
}
