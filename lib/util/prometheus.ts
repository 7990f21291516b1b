/**
 * A small writer of the Prometheus text exposition format (version 0.0.4), shared by the
 * broker's and the runtime's `/metrics`: HELP and TYPE once per family, then its samples.
 *
 * ```ts
 * import { PromText } from "./prometheus.ts";
 * const p = new PromText();
 * p.family("sa_up", "gauge", "1 when running").sample({ app: "x" }, 1);
 * console.log(p.text());
 * ```
 *
 * @module
 */

/** The content type Prometheus scrapes the text format with. */
export const PROM_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label values are escaped as the format requires: backslash, double quote and newline. */
function escapeLabel(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** One metric family being written. */
export interface PromFamily {
  /**
   * Adds a sample with these labels (values are stringified); `suffix` names a summary's
   * `_sum` and `_count` samples.
   */
  sample(labels: Record<string, string | number>, value: number, suffix?: string): PromFamily;
}

/** Accumulates metric families and renders them. */
export class PromText {
  readonly #lines: string[] = [];
  readonly #seen = new Set<string>();

  /** Starts a family; a name may be declared only once per exposition. */
  family(
    name: string,
    type: "counter" | "gauge" | "summary" | "untyped",
    help: string,
  ): PromFamily {
    if (this.#seen.has(name)) throw new Error(`metric family ${name} declared twice`);
    this.#seen.add(name);
    this.#lines.push(`# HELP ${name} ${help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`);
    this.#lines.push(`# TYPE ${name} ${type}`);
    const lines = this.#lines;
    const fam: PromFamily = {
      sample(labels, value, suffix = "") {
        const entries = Object.entries(labels);
        const l = entries.length
          ? `{${entries.map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(",")}}`
          : "";
        lines.push(`${name}${suffix}${l} ${formatValue(value)}`);
        return fam;
      },
    };
    return fam;
  }

  /** The exposition text, newline-terminated. */
  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}
