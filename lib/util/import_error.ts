/**
 * Deno's module errors carry a code frame and the location on extra lines:
 *
 * ```text
 * SyntaxError: Expected ',', got '{'
 *   |
 * 5 |   main() {}
 *   |          ~
 *     at file:///p/apps/x.ts:5:10
 * ```
 *
 * {@link splitImportError} takes them apart so every command can show them the same way:
 * `apps/x.ts:5:10: SyntaxError: Expected ',', got '{'` and the frame below it.
 *
 * @module
 */

/** A module error's parts. */
export interface ImportErrorParts {
  /** The first line, e.g. `SyntaxError: Expected ',', got '{'`. */
  head: string;
  /** The code frame lines (empty when there is none). */
  frame: string[];
  /** Where, from the `at file://...:L:C` line. */
  at?: { path: string; line: number; col: number };
}

/** Splits a module (import) error message into its first line, code frame and location. */
export function splitImportError(message: string): ImportErrorParts {
  const lines = message.replace(/^TypeError: (?=SyntaxError: )/, "").split("\n");
  const head = lines[0];
  const frame: string[] = [];
  let at: ImportErrorParts["at"];
  for (const l of lines.slice(1)) {
    const m = /^\s+at (file:\/\/\S+?):(\d+):(\d+)$/.exec(l);
    if (m) {
      at ??= {
        path: decodeURIComponent(new URL(m[1]).pathname),
        line: Number(m[2]),
        col: Number(m[3]),
      };
      continue;
    }
    if (/^\s*\d*\s*\|/.test(l)) frame.push(l);
  }
  return { head, frame, ...(at ? { at } : {}) };
}
