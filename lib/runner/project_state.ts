/**
 * The `.sa/` folder of a project: where `sa up` keeps the broker's data, app state, log
 * files, its pid file and a status file that `sa status`, `sa logs` and `sa down` read.
 *
 * @module
 */
import { join } from "node:path";
import type { DeploymentStatus } from "./supervisor.ts";

/** Paths under a project's `.sa/` folder. */
export interface SaPaths {
  root: string;
  /** The running `sa up`'s pid, one line. */
  pidFile: string;
  /** {@link UpStatus} as JSON, rewritten on every change. */
  statusFile: string;
  logsDir: string;
  brokerData: string;
  stateDir: string;
}

/** The `.sa/` paths of the project in `dir`. */
export function saPaths(dir: string): SaPaths {
  const root = join(dir, ".sa");
  return {
    root,
    pidFile: join(root, "sa.pid"),
    statusFile: join(root, "status.json"),
    logsDir: join(root, "logs"),
    brokerData: join(root, "broker"),
    stateDir: join(root, "state"),
  };
}

/** What `sa up` reports about itself. */
export interface UpStatus {
  pid: number;
  pipeline: string;
  broker: { address: string; embedded: boolean };
  startedAt: string;
  /** Set once the broker is up and every deployment has been started. */
  readyAt?: string;
  readyMs?: number;
  detached: boolean;
  state: "starting" | "running" | "stopping" | "stopped";
  deployments: DeploymentStatus[];
  /** Warnings of the start (e.g. an undeclared deployment variable), each once. */
  warnings: string[];
  /** Why `sa up` failed, one line (for `sa up --detach` to repeat). */
  error?: string;
}

/** Writes the status file atomically (temp file + rename), so readers never see half of it. */
export function writeStatusSync(paths: SaPaths, status: UpStatus): void {
  const tmp = `${paths.statusFile}.${Deno.pid}.tmp`;
  Deno.writeTextFileSync(tmp, JSON.stringify(status, null, 2) + "\n");
  Deno.renameSync(tmp, paths.statusFile);
}

/** Reads the status file, or null when there is none. */
export async function readStatus(paths: SaPaths): Promise<UpStatus | null> {
  try {
    return JSON.parse(await Deno.readTextFile(paths.statusFile)) as UpStatus;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new Error(`${paths.statusFile}: unreadable status file: ${(err as Error).message}`);
  }
}

/** Reads the pid file, or null when there is none. */
export async function readPid(paths: SaPaths): Promise<number | null> {
  try {
    const pid = Number((await Deno.readTextFile(paths.pidFile)).trim());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${paths.pidFile}: not a pid`);
    return pid;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** True when a process with this pid exists (and is not a zombie). */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Field 3 is the state; "Z" is a zombie that only waits to be reaped.
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    // No procfs (macOS): probe with a harmless signal.
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  }
}
