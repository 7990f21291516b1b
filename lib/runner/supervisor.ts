/**
 * Runs several deployments, each in its own sandbox, and keeps them running: a deployment that
 * crashes is reported and restarted with exponential backoff (reset once a run stayed up long
 * enough); one that cannot start for a reason a restart cannot fix (a missing variable, a
 * module that is not an app) is reported and left failed; one that returns normally is
 * complete. Stopping asks every app to stop (each commits), in parallel.
 *
 * @module
 */
import {
  type AppExit,
  AppSandbox,
  type DeclaredApp,
  type MessageAt,
  SandboxError,
} from "./sandbox.ts";
import { type SandboxGrant, ungrantedReads } from "./permissions.ts";

/** What one deployment runs and with what. */
export interface DeploymentSpec {
  name: string;
  /** Absolute path of the app module. */
  entry: string;
  grant: SandboxGrant;
  /** Error locations in the app's code are shown relative to this folder (the project's). */
  displayDir?: string;
  /**
   * Turns the app's declaration into its variable values and runtime env (e.g. SA_BROKER).
   * Throw a {@link ConfigError} when the deployment cannot run as configured.
   */
  resolve(declared: DeclaredApp): ResolvedSpec;
}

/** What {@link DeploymentSpec.resolve} gives an app. */
export interface ResolvedSpec {
  vars: Record<string, string>;
  env: Record<string, string>;
  /**
   * Files the resolved values name that the app may read (see `projectFileReads`). When one
   * is not in the grant yet (a value only the app's default sets), the app is loaded again
   * with it: a worker's permissions are fixed when it is created.
   */
  read?: string[];
}

/** A configuration problem: reported once, not retried. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Lifecycle of a supervised deployment. */
export type DeploymentState =
  | "starting"
  | "running"
  | "backoff"
  | "completed"
  | "failed"
  | "stopping"
  | "stopped";

/** A deployment's state as shown by `sa status`. */
export interface DeploymentStatus {
  name: string;
  state: DeploymentState;
  restarts: number;
  /** ISO time of the last state change. */
  since: string;
  lastError?: string;
}

/** Options for {@link Supervisor}. */
export interface SupervisorOptions {
  /** One complete line of an app's output (without the newline). */
  onLine(name: string, stream: "stdout" | "stderr", line: string): void;
  /** Lifecycle events: started, crashed, restarting, stopped. */
  onEvent(name: string, level: "INFO" | "WARN" | "ERROR", message: string): void;
  /** Called after every state change. */
  onStatus?(statuses: DeploymentStatus[]): void;
  /** First restart delay (default 1000 ms); doubles per consecutive crash. */
  initialBackoffMs?: number;
  /** Restart delay cap (default 30 s). */
  maxBackoffMs?: number;
  /** A run longer than this resets the backoff (default 30 s). */
  stableAfterMs?: number;
  /** How long each app gets to stop before it is terminated (default 10 s). */
  stopTimeoutMs?: number;
}

class LineBuffer {
  #partial = "";
  constructor(private readonly emit: (line: string) => void) {}
  push(text: string): void {
    const parts = (this.#partial + text).split("\n");
    this.#partial = parts.pop()!;
    for (const p of parts) this.emit(p.endsWith("\r") ? p.slice(0, -1) : p);
  }
  flush(): void {
    if (this.#partial) this.emit(this.#partial);
    this.#partial = "";
  }
}

class Supervised {
  status: DeploymentStatus;
  /** Stopped on request (`sa stop`): no restart until started again. */
  halted = false;
  sandbox?: AppSandbox;
  timer?: ReturnType<typeof setTimeout>;
  consecutiveCrashes = 0;
  /** The input message the last crash happened on, as `topic[p]@offset`. */
  lastCrashAt?: string;
  loop?: Promise<void>;
  wake?: () => void;
  readonly out: Record<"stdout" | "stderr", LineBuffer>;

  constructor(public spec: DeploymentSpec, onLine: SupervisorOptions["onLine"]) {
    this.status = {
      name: spec.name,
      state: "starting",
      restarts: 0,
      since: new Date().toISOString(),
    };
    this.out = {
      stdout: new LineBuffer((l) => onLine(spec.name, "stdout", l)),
      stderr: new LineBuffer((l) => onLine(spec.name, "stderr", l)),
    };
  }
}

/**
 * Errors of the app's own code or configuration, outside any message (a typo, a wrong
 * option): restarting runs the same code into the same error.
 */
function isCodeError(name: string | undefined, message: string): boolean {
  if (name === "ReferenceError" || name === "SyntaxError" || name === "ConfigurationError") {
    return true;
  }
  // Not every TypeError: fetch reports a network failure as one, and that can pass.
  return name === "TypeError" &&
    /is not a function|is not defined|Cannot read properties of|is not iterable|is not a constructor/
      .test(message);
}

/** `normalize` matches `normalize` and its replicas `normalize#2`, ... */
function matches(itemName: string, name: string): boolean {
  return itemName === name || itemName.startsWith(`${name}#`);
}

/** How to get past an input message an app cannot process. */
export function skipAdvice(at: MessageAt): string {
  return `to skip that message, run \`sa reset <group> --topic ${at.topic} --partition ` +
    `${at.partition} --to-offset ${at.offset + 1}\` while the app is stopped (<group> is its ` +
    "consumer group: `sa groups` lists them), or give its Application a deadLetterTopic";
}

/** Supervises a set of deployments. */
export class Supervisor {
  #items: Supervised[] = [];
  #stopping = false;
  readonly #opts:
    & Required<Omit<SupervisorOptions, "onStatus">>
    & Pick<SupervisorOptions, "onStatus">;

  constructor(opts: SupervisorOptions) {
    this.#opts = {
      initialBackoffMs: 1000,
      maxBackoffMs: 30_000,
      stableAfterMs: 30_000,
      stopTimeoutMs: 10_000,
      ...opts,
    };
  }

  /**
   * Starts every deployment; resolves once each has been loaded and started (or has failed to
   * start), which is when the pipeline counts as up.
   */
  async start(specs: DeploymentSpec[]): Promise<void> {
    const firstRuns: Promise<void>[] = [];
    for (const spec of specs) {
      const item = new Supervised(spec, this.#opts.onLine);
      this.#items.push(item);
      let started!: () => void;
      firstRuns.push(new Promise<void>((r) => started = r));
      item.loop = this.#run(item, started);
    }
    this.#publish();
    await Promise.all(firstRuns);
  }

  /** Deployment names (replicas as `name#2`) matching `name` or one of its replicas. */
  names(name?: string): string[] {
    return this.#items.filter((i) => name === undefined || matches(i.spec.name, name)).map((i) =>
      i.spec.name
    );
  }

  /** Stops a deployment (all its replicas) and keeps it stopped; resolves when it is. */
  async stopDeployment(name: string): Promise<string[]> {
    const items = this.#items.filter((i) => matches(i.spec.name, name));
    await Promise.all(items.map((item) => this.#halt(item)));
    return items.map((i) => i.spec.name);
  }

  /** Starts a stopped (or failed, completed) deployment again; resolves once it started. */
  async startDeployment(name: string): Promise<string[]> {
    const items = this.#items.filter((i) => matches(i.spec.name, name));
    await Promise.all(items.map((item) => this.#resume(item)));
    return items.map((i) => i.spec.name);
  }

  /** Stops then starts a deployment. */
  async restartDeployment(name: string): Promise<string[]> {
    await this.stopDeployment(name);
    return await this.startDeployment(name);
  }

  /** Runs `spec` in place of the deployment of the same name (or adds it). */
  async replace(spec: DeploymentSpec): Promise<void> {
    const item = this.#items.find((i) => i.spec.name === spec.name);
    if (!item) {
      await this.start([spec]);
      return;
    }
    await this.#halt(item);
    item.spec = spec;
    await this.#resume(item);
  }

  /** Stops a deployment and forgets it. */
  async remove(name: string): Promise<void> {
    const item = this.#items.find((i) => i.spec.name === name);
    if (!item) return;
    await this.#halt(item);
    this.#items = this.#items.filter((i) => i !== item);
    this.#publish();
  }

  async #halt(item: Supervised): Promise<void> {
    item.halted = true;
    clearTimeout(item.timer);
    item.wake?.();
    if (item.sandbox?.running) {
      this.#set(item, "stopping");
      const exit = await item.sandbox.stop(this.#opts.stopTimeoutMs);
      if (exit.kind === "killed") this.#opts.onEvent(item.spec.name, "WARN", exit.message);
    }
    await item.loop;
  }

  async #resume(item: Supervised): Promise<void> {
    if (this.#stopping) return;
    await item.loop; // a deployment runs one loop at a time
    item.halted = false;
    item.consecutiveCrashes = 0;
    item.lastCrashAt = undefined;
    let started!: () => void;
    const first = new Promise<void>((r) => started = r);
    item.loop = this.#run(item, started);
    await first;
  }

  /** Current state of every deployment. */
  statuses(): DeploymentStatus[] {
    return this.#items.map((i) => ({ ...i.status }));
  }

  /** Resolves when every deployment has completed, failed or stopped. */
  async settled(): Promise<void> {
    await Promise.all(this.#items.map((i) => i.loop));
  }

  /** Stops every deployment (no more restarts) and waits for them. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#items.map(async (item) => {
      clearTimeout(item.timer);
      item.wake?.();
      if (item.sandbox?.running) {
        this.#set(item, "stopping");
        const exit = await item.sandbox.stop(this.#opts.stopTimeoutMs);
        if (exit.kind === "killed") this.#opts.onEvent(item.spec.name, "WARN", exit.message);
      }
    }));
    await this.settled();
  }

  /** Terminates every app at once, without letting it commit (a second Ctrl+C). */
  kill(): void {
    this.#stopping = true;
    for (const item of this.#items) {
      clearTimeout(item.timer);
      item.wake?.();
      item.sandbox?.kill();
    }
  }

  #set(item: Supervised, state: DeploymentState, lastError?: string): void {
    item.status = {
      ...item.status,
      state,
      since: new Date().toISOString(),
      ...(lastError !== undefined ? { lastError } : {}),
    };
    this.#publish();
  }

  #publish(): void {
    this.#opts.onStatus?.(this.statuses());
  }

  async #run(item: Supervised, started: () => void): Promise<void> {
    const { name } = item.spec;
    try {
      while (!this.#stopping && !item.halted) {
        this.#set(item, "starting");
        let exit: AppExit;
        const t0 = Date.now();
        try {
          const load = (grant: SandboxGrant) =>
            AppSandbox.load({
              name,
              entry: item.spec.entry,
              grant,
              displayDir: item.spec.displayDir,
              onOutput: (stream, text) => item.out[stream].push(text),
            });
          let sandbox = await load(item.spec.grant);
          item.sandbox = sandbox;
          const { vars, env, read = [] } = item.spec.resolve(sandbox.definition);
          const more = ungrantedReads(item.spec.grant, read);
          if (more.length && !this.#stopping && !item.halted) {
            sandbox.kill();
            sandbox = await load({ ...item.spec.grant, read: [...item.spec.grant.read, ...more] });
            item.sandbox = sandbox;
          }
          if (this.#stopping || item.halted) {
            sandbox.kill();
            break;
          }
          sandbox.start(vars, env);
          this.#set(item, "running");
          this.#opts.onEvent(name, "INFO", `started (${sandbox.definition.name})`);
          started();
          exit = await sandbox.done;
        } catch (err) {
          item.sandbox?.kill();
          const message = err instanceof Error ? err.message : String(err);
          if (err instanceof ConfigError || err instanceof SandboxError) {
            this.#opts.onEvent(name, "ERROR", `cannot start: ${message}`);
            this.#set(item, "failed", message);
            return;
          }
          exit = { kind: "failed", message, denied: false };
        } finally {
          item.out.stdout.flush();
          item.out.stderr.flush();
        }
        if (this.#stopping || item.halted) {
          if (exit.kind === "failed") {
            this.#opts.onEvent(name, "ERROR", `failed while stopping: ${exit.message}`);
          }
          break;
        }
        if (exit.kind === "exited") {
          this.#opts.onEvent(name, "INFO", "exited (main returned); not restarted");
          this.#set(item, "completed");
          return;
        }
        if (exit.kind === "failed" && !exit.origin && isCodeError(exit.errorName, exit.message)) {
          // A bug or a wrong setting in the app's own setup: every restart would fail the same.
          this.#opts.onEvent(
            name,
            "ERROR",
            `crashed: ${exit.message}; not restarted, as a restart cannot fix this: fix the ` +
              `app, then \`sa restart ${name.replace(/#\d+$/, "")}\``,
          );
          this.#set(item, "failed", exit.message);
          return;
        }
        if (exit.kind === "failed" && exit.denied) {
          // Permissions do not change between runs: restarting would fail the same way.
          this.#opts.onEvent(name, "ERROR", `crashed: ${exit.message}`);
          this.#set(item, "failed", exit.message);
          return;
        }
        if (Date.now() - t0 >= this.#opts.stableAfterMs) item.consecutiveCrashes = 0;
        item.consecutiveCrashes++;
        const delay = Math.min(
          this.#opts.maxBackoffMs,
          this.#opts.initialBackoffMs * 2 ** (item.consecutiveCrashes - 1),
        );
        // The same input message twice in a row: a restart will not get past it.
        const at = exit.kind === "failed" && exit.origin
          ? `${exit.origin.topic}[${exit.origin.partition}]@${exit.origin.offset}`
          : undefined;
        const again = at !== undefined && at === item.lastCrashAt;
        item.lastCrashAt = at;
        this.#opts.onEvent(
          name,
          "ERROR",
          `crashed: ${exit.message}; restarting in ${(delay / 1000).toFixed(1)} s` +
            (again && exit.kind === "failed" && exit.origin
              ? `. It crashed on ${at} again: ${skipAdvice(exit.origin)}`
              : ""),
        );
        this.#set(item, "backoff", exit.message);
        await new Promise<void>((r) => {
          item.wake = r;
          item.timer = setTimeout(r, delay);
        });
        item.wake = undefined;
        if (this.#stopping || item.halted) break;
        item.status.restarts++;
      }
      this.#set(item, "stopped");
    } finally {
      started();
    }
  }
}
