/**
 * The shape every `sa <command>` module exports, and the environment it runs in.
 *
 * Commands take an explicit {@link CliEnv} instead of reading globals, so tests run them
 * against temporary folders and capture their output.
 *
 * @module
 */

/** Where a command runs and where it writes. */
export interface CliEnv {
  /** The directory the user invoked `sa` from (`INIT_CWD` under `deno task`). */
  readonly cwd: string;
  /** Environment variables (a snapshot; commands never mutate the process env). */
  readonly env: Readonly<Record<string, string>>;
  /** Standard output: data and results. */
  stdout(text: string): void;
  /** Standard error: progress, warnings, errors. */
  stderr(text: string): void;
  /** True when stdout is a terminal: enables colour and live redraws. */
  readonly isTty: boolean;
  /** Aborts on Ctrl+C / SIGTERM for long-running commands. */
  readonly signal: AbortSignal;
}

/** One `sa` sub-command. */
export interface CliCommand {
  readonly name: string;
  /** One line for `sa --help`. */
  readonly summary: string;
  /** Full `sa <name> --help` text, with examples. */
  readonly help: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[], env: CliEnv): Promise<number>;
}

/** A failure with a one-line reason for the user; the CLI prints it and exits non-zero. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "CliError";
  }
}

/**
 * The directory `sa` was invoked from. `deno task` runs tasks in the toolkit's folder and
 * puts the caller's folder in `INIT_CWD`; it does not overwrite an inherited `INIT_CWD`, so
 * the variable is trusted only when we really run in the toolkit's folder. A process started
 * elsewhere (a test, `sa up --detach`, an installed `sa`) acts on its own cwd.
 */
export function invocationDir(
  initCwd = Deno.env.get("INIT_CWD"),
  cwd = Deno.cwd(),
  toolkitRoot = toolkitDir(),
): string {
  if (!initCwd || toolkitRoot === null) return cwd;
  return samePath(cwd, toolkitRoot) ? initCwd : cwd;
}

function toolkitDir(): string | null {
  const url = new URL("../../", import.meta.url);
  if (url.protocol !== "file:") return null; // compiled binary: no source tree
  return decodeURIComponent(url.pathname).replace(/\/$/, "");
}

function samePath(a: string, b: string): boolean {
  try {
    return Deno.realPathSync(a) === Deno.realPathSync(b);
  } catch {
    return a === b;
  }
}

/** Builds a {@link CliEnv} for the real process. */
export function processEnv(signal: AbortSignal): CliEnv {
  const enc = new TextEncoder();
  return {
    cwd: invocationDir(),
    env: Deno.env.toObject(),
    stdout: (t) => writeAll(Deno.stdout, enc.encode(t)),
    stderr: (t) => writeAll(Deno.stderr, enc.encode(t)),
    isTty: Deno.stdout.isTerminal(),
    signal,
  };
}

function writeAll(w: { writeSync(p: Uint8Array): number }, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += w.writeSync(data.subarray(off));
}
