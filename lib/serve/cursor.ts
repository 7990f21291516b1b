/**
 * Cursors: the next offset to read of every partition of a topic, written `0:12,1:7`
 * (partition `0` resumes at offset 12, partition `1` at 7). A client that keeps the cursor of
 * the last frame it handled and reconnects with `from=<cursor>` gets the following records
 * exactly: no gap, no duplicate.
 *
 * ```ts
 * import { formatCursor, parseCursor } from "./cursor.ts";
 * const c = parseCursor("0:12,1:7");
 * console.log(formatCursor(c)); // "0:12,1:7"
 * ```
 *
 * @module
 */

/** Thrown for a cursor that does not parse; the message says what is wrong. */
export class CursorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CursorError";
  }
}

/** Parses `p:offset,p:offset`; throws {@link CursorError} naming the bad part. */
export function parseCursor(text: string): Map<number, number> {
  const out = new Map<number, number>();
  if (text.trim() === "") throw new CursorError("empty cursor");
  for (const part of text.split(",")) {
    const m = /^\s*(\d+):(\d+)\s*$/.exec(part);
    if (!m) {
      throw new CursorError(
        `bad cursor part "${part}": expected partition:offset, e.g. 0:12`,
      );
    }
    const p = Number(m[1]);
    const o = Number(m[2]);
    if (!Number.isSafeInteger(o) || p > 100_000) {
      throw new CursorError(`bad cursor part "${part}": number out of range`);
    }
    if (out.has(p)) throw new CursorError(`cursor names partition ${p} twice`);
    out.set(p, o);
  }
  return out;
}

/** Writes a cursor, partitions ascending. */
export function formatCursor(positions: ReadonlyMap<number, number>): string {
  return [...positions].sort((a, b) => a[0] - b[0]).map(([p, o]) => `${p}:${o}`).join(",");
}
