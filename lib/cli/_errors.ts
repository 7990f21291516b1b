/**
 * Unexpected errors as one line for the user: `sa` never shows a raw stack trace unless asked
 * with `--debug`. File-system errors name the path and the cause in plain words.
 *
 * @module
 */

const OPS: Record<string, string> = {
  readfile: "read",
  open: "open",
  writefile: "write",
  mkdir: "create the folder",
  remove: "remove",
  rename: "rename",
  stat: "read",
  lstat: "read",
  readdir: "list",
  realpath: "resolve",
  copyfile: "copy",
  chmod: "change the mode of",
  truncate: "truncate",
};

/**
 * One line describing an unexpected error, e.g. `cannot write /p/.sa/sa.pid: permission
 * denied`; `fs` tells a file-system error (path and cause named) from anything else.
 */
export function errorLine(err: unknown): { line: string; fs: boolean } {
  if (!(err instanceof Error)) return { line: String(err), fs: false };
  // Deno: "Permission denied (os error 13): mkdir '/p/.sa'"
  const fs = /^(.+?) \(os error \d+\): (\w+) '(.+?)'(?: -> '(.+?)')?$/.exec(err.message);
  if (fs) {
    const [, cause, op, path] = fs;
    return {
      line: `cannot ${OPS[op.toLowerCase()] ?? op} ${path}: ${cause.toLowerCase()}`,
      fs: true,
    };
  }
  const first = err.message.split("\n")[0];
  return { line: err.name && err.name !== "Error" ? `${err.name}: ${first}` : first, fs: false };
}
