/**
 * Runs one app module in a Worker with scoped Deno permissions (see `permissions.ts`).
 *
 * Two phases: {@link AppSandbox.load} imports the module inside the sandbox and reports the
 * variables it declares (so even import-time code is confined), then {@link AppSandbox.start}
 * calls its `main` with the resolved values. {@link AppSandbox.stop} aborts the app's signal so
 * it can commit and flush, and terminates the worker if it does not finish in time.
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { relative } from "node:path";
import { splitImportError } from "../util/import_error.ts";
import type { AppVariable } from "../stream/define_app.ts";
import { WORKER_SOURCE } from "./_worker_source.ts";
import { explainDenial, parseDenial, type SandboxGrant, workerPermissions } from "./permissions.ts";

/** What an app module declares, as reported from inside the sandbox. */
export interface DeclaredApp {
  name: string;
  description?: string;
  variables: AppVariable[];
}

/** How a sandboxed app ended. */
export type AppExit =
  | { kind: "exited" }
  | {
    kind: "failed";
    message: string;
    denied: boolean;
    stack?: string;
    /** The input message being processed, when a callback failed on one. */
    origin?: MessageAt;
    /** The error's class name (`TypeError`, `ConfigurationError`, ...). */
    errorName?: string;
  }
  | { kind: "killed"; message: string };

/** Options for {@link AppSandbox.load}. */
export interface SandboxOptions {
  /** Deployment (or app) name used in messages. */
  name: string;
  /** Absolute path of the app module. */
  entry: string;
  grant: SandboxGrant;
  /**
   * Receives the app's output when set; otherwise the app writes to the process's stdout and
   * stderr directly. Text arrives in chunks that may split lines.
   */
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
  /** How long loading may take (default 60 s: a first run may download npm packages). */
  loadTimeoutMs?: number;
  /** Error locations in the app's code are shown relative to this folder (default: cwd). */
  displayDir?: string;
}

/** Where a failing input message is: topic, partition, offset. */
export interface MessageAt {
  topic: string;
  partition: number;
  offset: number;
}

interface WorkerError {
  name: string;
  message: string;
  stack?: string;
  /** Stacks of the error and its causes, outermost first. */
  stacks?: string[];
  notCapable?: boolean;
  origin?: MessageAt;
}

type FromWorker =
  | { type: "declared"; definition: DeclaredApp }
  | { type: "output"; stream: "stdout" | "stderr"; text: string }
  | { type: "exited" }
  | { type: "failed"; phase?: "load" | "run"; error: WorkerError };

/** A sandbox load failure: the module is missing, broken, not an app, or was denied something. */
export class SandboxError extends Error {
  constructor(message: string, readonly denied = false) {
    super(message);
    this.name = "SandboxError";
  }
}

let workerUrl: string | undefined;
function entryUrl(): string {
  workerUrl ??= URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
  return workerUrl;
}

/** One app in its own sandbox worker. */
export class AppSandbox {
  #worker: Worker;
  #settle!: (exit: AppExit) => void;
  #finished = false;
  #started = false;
  /** Resolves once the app has ended, however it ended. */
  readonly done: Promise<AppExit>;

  private constructor(
    readonly options: SandboxOptions,
    worker: Worker,
    /** What the module declares. */
    readonly definition: DeclaredApp,
  ) {
    this.#worker = worker;
    this.done = new Promise((resolve) => this.#settle = resolve);
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.#onMessage(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      this.#finish({ kind: "failed", ...this.#explain({ name: "Error", message: e.message }) });
    };
  }

  /** Starts a worker, imports the app module in it, and returns once it reported its declaration. */
  static async load(options: SandboxOptions): Promise<AppSandbox> {
    const worker = new Worker(entryUrl(), {
      type: "module",
      name: options.name,
      deno: { permissions: workerPermissions(options.grant) },
    });
    const explain = (err: WorkerError) => explainError(options, err);
    try {
      const definition = await new Promise<DeclaredApp>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new SandboxError(`app "${options.name}": loading ${options.entry} timed out`),
            ),
          options.loadTimeoutMs ?? 60_000,
        );
        worker.onmessage = (e: MessageEvent<FromWorker>) => {
          const m = e.data;
          if (m.type === "output") options.onOutput?.(m.stream, m.text);
          else if (m.type === "declared") {
            clearTimeout(timer);
            resolve(m.definition);
          } else if (m.type === "failed") {
            clearTimeout(timer);
            const { message, denied } = explain(m.error);
            // A syntax error already starts with its file:line:col.
            const located = /^\S+:\d+:\d+: SyntaxError: /.test(message);
            reject(
              new SandboxError(
                located ? message : `${options.entry}: cannot load the app: ${message}`,
                denied,
              ),
            );
          }
        };
        worker.onerror = (e) => {
          e.preventDefault();
          clearTimeout(timer);
          const { message, denied } = explain({ name: "Error", message: e.message });
          reject(new SandboxError(`${options.entry}: cannot load the app: ${message}`, denied));
        };
        worker.postMessage({
          type: "load",
          entry: pathToFileURL(options.entry).href,
          capture: options.onOutput !== undefined,
        });
      });
      return new AppSandbox(options, worker, definition);
    } catch (err) {
      worker.terminate();
      throw err;
    }
  }

  /** Calls the app's `main` with its variables; `env` adds runtime settings such as SA_BROKER. */
  start(vars: Record<string, string>, env: Record<string, string> = {}): void {
    if (this.#started) throw new Error(`app "${this.options.name}" already started`);
    this.#started = true;
    this.#worker.postMessage({ type: "start", vars, env });
  }

  /** True until the app has ended. */
  get running(): boolean {
    return !this.#finished;
  }

  /**
   * Asks the app to stop (its signal aborts, so it commits and flushes) and waits up to
   * `timeoutMs`; after that the worker is terminated.
   */
  async stop(timeoutMs = 10_000): Promise<AppExit> {
    if (this.#finished) return this.done;
    if (!this.#started) {
      this.#finish({ kind: "exited" });
      return this.done;
    }
    this.#worker.postMessage({ type: "stop" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((r) => timer = setTimeout(r, timeoutMs));
    await Promise.race([this.done, timeout]);
    clearTimeout(timer);
    this.#finish({
      kind: "killed",
      message: `app "${this.options.name}" did not stop within ${timeoutMs} ms; terminated`,
    });
    return this.done;
  }

  /** Ends the worker at once, without letting the app commit. */
  kill(): void {
    this.#finish({ kind: "killed", message: `app "${this.options.name}" was terminated` });
  }

  #onMessage(m: FromWorker): void {
    if (m.type === "output") this.options.onOutput?.(m.stream, m.text);
    else if (m.type === "exited") this.#finish({ kind: "exited" });
    else if (m.type === "failed") this.#finish({ kind: "failed", ...this.#explain(m.error) });
  }

  #explain(
    err: WorkerError,
  ): { message: string; denied: boolean; stack?: string; origin?: MessageAt; errorName?: string } {
    return explainError(this.options, err);
  }

  #finish(exit: AppExit): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#worker.terminate();
    this.#settle(exit);
  }
}

function explainError(
  { name, grant, displayDir }: SandboxOptions,
  err: WorkerError,
): { message: string; denied: boolean; stack?: string; origin?: MessageAt; errorName?: string } {
  const denial = parseDenial(err.message);
  if (denial) return { message: explainDenial(name, denial, grant), denied: true };
  // A ProcessingError's text already says what failed; other names (TypeError...) inform.
  const named = err.name === "Error" || err.name === "ProcessingError" ? "" : err.name + ": ";
  const split = splitImportError(err.message);
  if (split.frame.length) {
    // A syntax error: `file:line:col: SyntaxError: ...` and its code frame.
    const at = split.at
      ? `${displayPath(split.at.path, displayDir)}:${split.at.line}:${split.at.col}: `
      : "";
    return { message: [`${at}${split.head}`, ...split.frame].join("\n"), denied: false };
  }
  let message = err.message.startsWith("Uncaught ")
    ? err.message.slice("Uncaught ".length)
    : `${named}${err.message}`;
  const at = userFrame(err.stacks ?? (err.stack ? [err.stack] : []), grant, displayDir);
  if (at) message = `${at}: ${message}`;
  return {
    message,
    denied: false,
    stack: err.stack,
    errorName: err.name,
    ...(err.origin ? { origin: err.origin } : {}),
  };
}

const TOOLKIT_ROOT = new URL("../../", import.meta.url).href;

/**
 * The first stack frame in the student's own code (the app's folder; not the toolkit's
 * `lib/` or `mod.ts`, not a package), innermost cause first, as `path:line:col` relative to
 * `displayDir`.
 */
export function userFrame(
  stacks: readonly string[],
  grant: SandboxGrant,
  displayDir = Deno.cwd(),
): string | undefined {
  const appDir = toFileUrl(grant.read[0]) + "/";
  for (const stack of [...stacks].reverse()) {
    for (const m of stack.matchAll(/(file:\/\/[^\s()]+?):(\d+):(\d+)/g)) {
      const url = m[1];
      if (!url.startsWith(appDir) || url.includes("/node_modules/")) continue;
      if (url.startsWith(TOOLKIT_ROOT + "lib/") || url === TOOLKIT_ROOT + "mod.ts") continue;
      const path = decodeURIComponent(new URL(url).pathname);
      return `${displayPath(path, displayDir)}:${m[2]}:${m[3]}`;
    }
  }
  return undefined;
}

function displayPath(path: string, dir = Deno.cwd()): string {
  const rel = relative(dir, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

function toFileUrl(path: string): string {
  return "file://" + path.split("/").map(encodeURIComponent).join("/");
}
