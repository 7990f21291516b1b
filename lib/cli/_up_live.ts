/**
 * What `sa up` does while it runs: answers `sa stop|start|restart <deployment>` on its control
 * socket, and applies changes of the pipeline file (`sa pipeline update`, an edit) to the
 * running pipeline, the way `quix local pipeline up` does: new deployments start, changed
 * ones restart with their new settings, removed or stopped ones stop, new topics are created.
 *
 * @module
 */
import { basename, relative } from "node:path";
import {
  type Deployment,
  loadPipeline,
  type Pipeline,
  resolveAppEntry,
} from "../project/pipeline.ts";
import type { DeploymentSpec, Supervisor } from "../runner/supervisor.ts";
import {
  controlPath,
  type ControlRequest,
  type ControlResponse,
  serveControl,
} from "../runner/control.ts";
import type { SaPaths } from "../runner/project_state.ts";

/** What the live part of `sa up` needs from it. */
export interface LiveOptions {
  paths: SaPaths;
  pipeline: Pipeline;
  supervisor: Supervisor;
  /** The deployments to run from a pipeline (replicas expanded). */
  runnable(p: Pipeline): Array<{ name: string; d: Deployment }>;
  specFor(r: { name: string; d: Deployment }): DeploymentSpec;
  /** Creates the pipeline's topics (existing ones are left alone). */
  createTopics(p: Pipeline): Promise<void>;
  say(text: string): void;
  /** How often the pipeline file is looked at (default 1000 ms). */
  pollMs?: number;
}

/** Starts the control socket and the pipeline watch; `close()` ends both. */
export function startLive(opts: LiveOptions): { close(): Promise<void> } {
  const { supervisor, say } = opts;
  let busy: Promise<unknown> = Promise.resolve();
  // One change at a time: a control request waits for a reload and vice versa.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = busy.then(fn, fn);
    busy = run.catch(() => {});
    return run;
  };

  let control: { close(): void } = { close() {} };
  const handle = (req: ControlRequest) =>
    serial(async (): Promise<ControlResponse> => {
      const names = supervisor.names(req.deployment);
      if (!names.length) {
        const all = supervisor.names().join(", ") || "none";
        return {
          ok: false,
          message:
            `no deployment "${req.deployment}" in the running pipeline (deployments: ${all})`,
        };
      }
      say(`${req.action} ${names.join(", ")} (sa ${req.action})`);
      if (req.action === "stop") await supervisor.stopDeployment(req.deployment);
      else if (req.action === "start") await supervisor.startDeployment(req.deployment);
      else await supervisor.restartDeployment(req.deployment);
      const failed = supervisor.statuses().filter((s) =>
        names.includes(s.name) && s.state === "failed"
      );
      if (failed.length) {
        return {
          ok: false,
          message: failed.map((f) => `${f.name} could not start: ${f.lastError}`).join("\n"),
        };
      }
      const done = { stop: "stopped", start: "started", restart: "restarted" }[req.action];
      return { ok: true, message: `${done} ${names.join(", ")}` };
    });
  try {
    control = serveControl(controlPath(opts.paths), handle);
  } catch (err) {
    // e.g. a project path too long for a Unix socket: the pipeline runs all the same.
    say(
      `warning: sa stop/start/restart are not available for this run: cannot listen on ` +
        `${controlPath(opts.paths)}: ${(err as Error).message}`,
    );
  }

  let current = opts.pipeline;
  let stamp = fileStamp(current.file);
  const timer = setInterval(() => {
    const now = fileStamp(current.file);
    if (now === stamp) return;
    stamp = now;
    void serial(async () => {
      const name = basename(current.file);
      let next: Pipeline;
      try {
        next = await loadPipeline(current.file);
      } catch (err) {
        say(`${name} changed but cannot be used, so nothing changes: ${(err as Error).message}`);
        return;
      }
      const missing = opts.runnable(next).find(({ d }) => !isFile(resolveAppEntry(next, d)));
      if (missing) {
        say(
          `${name} changed but ${missing.d.applicationAt ?? name}: deployment ` +
            `"${missing.d.name}": application "${missing.d.application}" not found, so ` +
            "nothing changes",
        );
        return;
      }
      await opts.createTopics(next);
      const before = new Map(opts.runnable(current).map((r) => [r.name, r]));
      const after = new Map(opts.runnable(next).map((r) => [r.name, r]));
      const started: string[] = [], restarted: string[] = [], stopped: string[] = [];
      for (const [n, r] of after) {
        const old = before.get(n);
        if (!old) {
          await supervisor.replace(opts.specFor(r));
          started.push(n);
        } else if (fingerprint(current, old.d) !== fingerprint(next, r.d)) {
          await supervisor.replace(opts.specFor(r));
          restarted.push(n);
        }
      }
      for (const n of before.keys()) {
        if (after.has(n)) continue;
        await supervisor.remove(n);
        stopped.push(n);
      }
      current = next;
      const parts = [
        started.length && `started ${started.join(", ")}`,
        restarted.length && `restarted ${restarted.join(", ")}`,
        stopped.length && `stopped ${stopped.join(", ")}`,
      ].filter(Boolean);
      say(`${name} changed: ${parts.length ? parts.join("; ") : "no deployment changes"}`);
    });
  }, opts.pollMs ?? 1000);

  return {
    async close() {
      clearInterval(timer);
      control.close();
      await busy;
    },
  };
}

/** What makes a deployment run differently: its module, variables and hosts. */
function fingerprint(p: Pipeline, d: Deployment): string {
  return JSON.stringify([
    relative(p.dir, resolveAppEntry(p, d)),
    d.variables.map((v) => [v.name, v.value ?? null]),
    d.allowNet,
  ]);
}

function fileStamp(file: string): string {
  try {
    const st = Deno.statSync(file);
    return `${st.mtime?.getTime()}:${st.size}:${st.ino}`;
  } catch {
    return "missing";
  }
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
