/**
 * The `.sa/logs/<name>.log` files of `sa up`: lines appended synchronously (nothing lost on a
 * crash), rotated by size so a chatty app cannot fill the disk: when a file would pass
 * `maxBytes`, it becomes `<name>.log.1` (replacing the previous one) and a new file starts.
 * A log thus never takes more than about twice `maxBytes`.
 *
 * @module
 */

/** Default size bound of one log file (the rotated copy takes as much again). */
export const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;

/** An append-only, size-rotated log file. */
export class LogFile {
  #file: Deno.FsFile;
  #size = 0;
  #enc = new TextEncoder();

  constructor(readonly path: string, readonly maxBytes = DEFAULT_LOG_MAX_BYTES) {
    this.#file = Deno.openSync(path, { create: true, write: true, truncate: true });
  }

  /** Appends one line (a newline is added). */
  line(text: string): void {
    const b = this.#enc.encode(text + "\n");
    if (this.#size > 0 && this.#size + b.length > this.maxBytes) this.#rotate();
    let off = 0;
    while (off < b.length) off += this.#file.writeSync(b.subarray(off));
    this.#size += b.length;
  }

  #rotate(): void {
    this.#file.close();
    Deno.renameSync(this.path, `${this.path}.1`);
    this.#file = Deno.openSync(this.path, { create: true, write: true, truncate: true });
    this.#size = 0;
  }

  close(): void {
    this.#file.close();
  }
}
