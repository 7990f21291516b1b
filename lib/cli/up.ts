/**
 * `sa up`: brings the project's pipeline up locally. Starts the embedded broker (data in
 * `.sa/broker`), creates the topics the pipeline declares, runs every enabled deployment in
 * its own sandboxed worker under a supervisor, and prints their output prefixed with the
 * deployment name. Ctrl+C stops the apps first (each commits), then the broker.
 *
 * `--detach` runs the same thing in the background; `sa status`, `sa logs` and `sa down` find
 * it through `.sa/sa.pid` and `.sa/status.json`.
 *
 * @module
 */
import { join } from "node:path";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { flag, int, parseCommandArgs, str } from "./_args.ts";
import type { Deployment } from "../project/pipeline.ts";
import { type LogLevel, parseLogLevel } from "../util/log.ts";
import { createTopics, type NewTopic } from "../runner/broker_check.ts";
import { securityFrom } from "./_kafka.ts";
import { readDotEnv } from "../project/env.ts";
import { upSecurity } from "./_up_security.ts";
import { type DeploymentSpec, Supervisor } from "../runner/supervisor.ts";
import { Prefixer } from "../runner/prefix.ts";
import { saPaths, type UpStatus, writeStatusSync } from "../runner/project_state.ts";
import { InterruptTracker } from "../util/signals.ts";
import { startUpConsole, UP_CONSOLE_PORT } from "./_up_console.ts";
import { errorLine } from "./_errors.ts";
import { DEFAULT_LOG_MAX_BYTES, LogFile } from "../runner/log_file.ts";
import { typeCheck } from "../runner/type_check.ts";
import { startLive } from "./_up_live.ts";
import {
  checkModules,
  ensureNotRunning,
  newTopic,
  openPipeline,
  runnableDeployments,
} from "./_up_plan.ts";
import { detach } from "./_up_detach.ts";
import { upDocker } from "./_up_docker.ts";
import { startUpBroker, type UpBroker } from "./_up_broker.ts";
import { deploymentSpec } from "./_up_specs.ts";

export { runnableDeployments, topicConfigs } from "./_up_plan.ts";

const HELP = `Usage: sa up [options]

Brings the pipeline in sa.yaml (or quix.yaml) up locally:
  1. starts the embedded Kafka-compatible broker on port 19092 (data in .sa/broker),
  2. creates the topics the pipeline declares,
  3. runs every enabled deployment in its own sandboxed worker; output lines are prefixed
     with the deployment name; a deployment that crashes is restarted with backoff.
Ctrl+C stops the apps first (each commits its progress), then the broker.

While it runs, \`sa stop|start|restart <deployment>\` act on one deployment (the rest keeps
running), and changes to sa.yaml (\`sa pipeline update\`, an edit) are applied within a
second: new deployments start, changed ones restart, removed or Stopped ones stop.

Topics keep their data by size (retentionInBytes), not by time: the recording's 2024 event
times would be past any retentionInMinutes at once.

Deployments get the variable values set in sa.yaml, else their app's defaults (like Quix's
compose setup, .env is for \`sa run\`, not for \`sa up\`), except secrets named by a
secretKey, read from the environment or .env. With --broker, each deployment connects with
the connection settings (SA_SECURITY_PROTOCOL, SA_SASL_*, SA_SSL_*) of the environment, else
its own in sa.yaml; the embedded broker is plaintext.

Options:
  -p, --port <n>            Broker port (default 19092; 0 picks a free one); --broker-port
                            is the same
  -b, --broker <host:port>  Use this running broker instead of starting the embedded one
  -d, --detach              Run in the background (see sa status, sa logs, sa down)
      --docker              Run the pipeline with Docker instead: writes compose/ (sa compose)
                            and runs docker-compose up --build (Redpanda, Console, one
                            container per deployment)
      --log-level <level>   Broker log level: DEBUG, INFO, WARN (default; retention
                            deletions are shown too), ERROR
      --log-retention-check-interval-ms <ms>
                            How often the embedded broker applies retention (default
                            30000)
      --console-port <n>    Web console port (default 8080; a free one when it is busy)
      --no-console          Do not serve the web console (see sa console)
      --type-check          Type-check each app beside its start (deno check) and show its
                            type errors at their line; the default on a terminal
      --no-type-check       Do not type-check
  -h, --help                Show this help

Examples:
  sa up
  sa up --detach && sa logs normalize -f
  sa up --port 0
`;

/** Printed (after the `sa |` prefix) once everything is started; tests and the bench look for it. */
export const READY_TEXT = "ready in ";

interface UpOptions {
  port: number;
  externalBroker?: string;
  detach: boolean;
  docker: boolean;
  logLevel: LogLevel;
  /** null: no console. */
  consolePort: number | null;
  /** Type-check the apps beside the start (undefined: on a terminal). */
  typeCheck?: boolean;
  /** The embedded broker's retention check period (its default when unset). */
  retentionCheckIntervalMs?: number;
}

function parse(argv: string[]): UpOptions {
  const p = parseCommandArgs("up", argv, {
    port: { type: "string", short: "p" },
    "broker-port": { type: "string" },
    broker: { type: "string", short: "b" },
    detach: { type: "boolean", short: "d" },
    docker: { type: "boolean" },
    "log-level": { type: "string" },
    "console-port": { type: "string" },
    "no-console": { type: "boolean" },
    "type-check": { type: "boolean" },
    "no-type-check": { type: "boolean" },
    "log-retention-check-interval-ms": { type: "string" },
  });
  if (p.positionals.length) {
    throw new CliError(`unexpected argument "${p.positionals[0]}" (see sa up --help)`, 2);
  }
  let logLevel: LogLevel = "WARN";
  const lvl = str(p, "log-level");
  if (lvl) {
    try {
      logLevel = parseLogLevel(lvl);
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
  }
  const port = int(p, "port") ?? int(p, "broker-port") ?? 19092;
  if (port > 65535) throw new CliError(`--port must be at most 65535, not ${port}`, 2);
  return {
    port,
    externalBroker: str(p, "broker"),
    detach: flag(p, "detach"),
    docker: flag(p, "docker"),
    logLevel,
    consolePort: flag(p, "no-console") ? null : int(p, "console-port") ?? UP_CONSOLE_PORT,
    typeCheck: flag(p, "no-type-check") ? false : flag(p, "type-check") ? true : undefined,
    retentionCheckIntervalMs: retentionCheck(int(p, "log-retention-check-interval-ms")),
  };
}

function retentionCheck(ms: number | undefined): number | undefined {
  if (ms !== undefined && ms < 1) {
    throw new CliError(`--log-retention-check-interval-ms must be at least 1, not ${ms}`, 2);
  }
  return ms;
}

/** Type-checks each app once (one at a time: the machine runs the pipeline too). */
async function typeCheckApps(
  specs: DeploymentSpec[],
  dir: string,
  signal: AbortSignal,
  show: (deployment: string, text: string) => void,
): Promise<void> {
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.entry) || signal.aborted) continue;
    seen.add(spec.entry);
    const errors = await typeCheck(spec.entry, dir, signal);
    if (signal.aborted) return;
    for (const e of errors) {
      for (const line of `type error: ${e}`.split("\n")) show(spec.name, line);
    }
  }
}

async function up(argv: string[], env0: CliEnv): Promise<number> {
  const opts = parse(argv);
  const pipeline = await openPipeline(env0.cwd);
  if (opts.docker) return upDocker(pipeline, opts, env0);
  const paths = saPaths(pipeline.dir);
  await ensureNotRunning(paths);
  checkModules(pipeline);
  if (opts.detach) return detach(argv, env0, paths);

  const detached = env0.env.SA_UP_DETACHED === "1";
  await Deno.mkdir(paths.logsDir, { recursive: true });
  const maxLog = Number(env0.env.SA_LOG_MAX_BYTES) || DEFAULT_LOG_MAX_BYTES;
  const upLog = new LogFile(join(paths.logsDir, "up.log"), maxLog);
  // The process's own output also goes to .sa/logs/up.log (only there in the background),
  // without colour codes.
  // deno-lint-ignore no-control-regex -- stripping ANSI colour codes
  const plain = (t: string) => upLog.line(t.replace(/\x1b\[[0-9;]*m/g, "").replace(/\n$/, ""));
  const env: CliEnv = detached ? { ...env0, stdout: plain, stderr: plain, isTty: false } : {
    ...env0,
    stdout: (t) => (env0.stdout(t), plain(t)),
    stderr: (t) => (env0.stderr(t), plain(t)),
  };
  const colour = env.isTty && !env.env.NO_COLOR;
  const runnable = runnableDeployments(pipeline);
  const prefix = new Prefixer(["broker", "sa", ...runnable.map((r) => r.name)], colour);
  const logFiles = new Map<string, LogFile>();
  const logFile = (name: string) => {
    let f = logFiles.get(name);
    if (!f) {
      f = new LogFile(
        join(paths.logsDir, `${name.replace(/[^A-Za-z0-9_.#-]/g, "_")}.log`),
        maxLog,
      );
      logFiles.set(name, f);
    }
    return f;
  };
  const say = (text: string) => env.stderr(prefix.line("sa", text) + "\n");

  await Deno.writeTextFile(paths.pidFile, `${Deno.pid}\n`);
  const status: UpStatus = {
    pid: Deno.pid,
    pipeline: pipeline.file,
    broker: { address: opts.externalBroker ?? "", embedded: !opts.externalBroker },
    startedAt: new Date().toISOString(),
    detached,
    state: "starting",
    deployments: [],
    warnings: [],
  };
  const publish = () => writeStatusSync(paths, status);
  publish();

  let broker: UpBroker | undefined;
  let supervisor: Supervisor | undefined;
  let webConsole: { close(): Promise<void> } | null = null;
  const checking = new AbortController();
  let live: { close(): Promise<void> } | undefined;
  try {
    // An external broker may be secured (SA_SECURITY_PROTOCOL, SA_SASL_*, SA_SSL_* in the
    // environment or the deployments in sa.yaml); the embedded one is plaintext on loopback.
    const dotenv = await readDotEnv(join(pipeline.dir, ".env"));
    const connection = upSecurity({
      pipeline,
      deployments: [...new Set(runnable.map((r) => r.d))],
      external: opts.externalBroker !== undefined,
      processEnv: env.env,
      dotenv,
      say,
    });
    const security = securityFrom(connection.own);
    const brokerLog = opts.externalBroker ? undefined : logFile("broker");
    broker = await startUpBroker({
      port: opts.port,
      external: opts.externalBroker,
      security,
      dataDir: paths.brokerData,
      logLevel: opts.logLevel,
      retentionCheckIntervalMs: opts.retentionCheckIntervalMs,
      log(line) {
        brokerLog?.line(line);
        env.stderr(prefix.line("broker", line) + "\n");
      },
    });
    const address = broker.address;
    status.broker.address = address;
    publish();

    const topics: NewTopic[] = pipeline.topics.map(newTopic);
    const created = await createTopics(address, topics, undefined, security);
    for (const [name, result] of Object.entries(created)) {
      if (result !== "created" && result !== "exists") say(`topic ${name}: ${result}`);
    }

    const specFor = (r: { name: string; d: Deployment }) =>
      deploymentSpec({
        pipeline,
        stateDir: paths.stateDir,
        address,
        securityFor: connection.forDeployment,
        secrets: (key) => env.env[key] || dotenv[key] || undefined,
        warn(problem) {
          say(`warning: ${problem}`);
          if (!status.warnings.includes(problem)) {
            status.warnings.push(problem);
            publish();
          }
        },
      }, r);
    const specs = runnable.map(specFor);

    supervisor = new Supervisor({
      onLine(name, stream, line) {
        logFile(name).line(line);
        const text = prefix.line(name, line) + "\n";
        if (stream === "stdout") env.stdout(text);
        else env.stderr(text);
      },
      onEvent(name, level, message) {
        const line = `${new Date().toISOString()} ${level.padEnd(5)} [sa] ${message}`;
        logFile(name).line(line);
        env.stderr(prefix.line(name, `${level === "INFO" ? "" : level + " "}${message}`) + "\n");
      },
      onStatus(s) {
        status.deployments = s;
        publish();
      },
    });
    await supervisor.start(specs);
    if (opts.consolePort !== null) {
      webConsole = await startUpConsole(address, pipeline.dir, opts.consolePort, say, security);
    }
    live = startLive({
      paths,
      pipeline,
      supervisor,
      runnable: runnableDeployments,
      specFor,
      async createTopics(p) {
        const made = await createTopics(address, p.topics.map(newTopic), undefined, security);
        for (const [name, result] of Object.entries(made)) {
          if (result === "created") say(`topic ${name}: created`);
          else if (result !== "exists") say(`topic ${name}: ${result}`);
        }
      },
      say,
    });
    status.state = "running";
    status.readyAt = new Date().toISOString();
    status.readyMs = Math.round(performance.now());
    publish();
    // "ready" lists only what started; a deployment refused at start is named apart.
    const failed = new Set(
      supervisor.statuses().filter((s) => s.state === "failed").map((s) => s.name),
    );
    const started = runnable.filter((r) => !failed.has(r.name)).map((r) => r.name);
    say(
      `${READY_TEXT}${status.readyMs} ms: broker ${address}, ` +
        `${started.length} deployment${started.length === 1 ? "" : "s"} (${
          started.join(", ") || "none"
        })${failed.size ? `; not started: ${[...failed].join(", ")} (see the error above)` : ""}${
          detached ? "" : "; Ctrl+C to stop"
        }`,
    );

    if (opts.typeCheck ?? env.isTty) {
      void typeCheckApps(
        specs,
        pipeline.dir,
        checking.signal,
        (name, text) => env.stderr(prefix.line(name, text) + "\n"),
      );
    }

    await new Promise<void>((resolve) => {
      if (env.signal.aborted) resolve();
      env.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    say("stopping: apps first (each commits), then the broker; Ctrl+C again to force");
    return 0;
  } catch (err) {
    // The background process's stderr goes nowhere: keep the cause for `sa up --detach`.
    status.error = err instanceof CliError ? err.message : errorLine(err).line;
    say(`error: ${status.error}`);
    throw err;
  } finally {
    checking.abort();
    await live?.close();
    status.state = "stopping";
    publish();
    // A second Ctrl+C while the apps commit: terminate them now. The first keystroke's
    // echoes (the signal also arrives through deno task/npx) must not count as that press.
    const interrupts = new InterruptTracker();
    interrupts.markFirst();
    const force = () => {
      if (interrupts.hit() === "echo") return;
      say("forced: terminating the apps without a final commit");
      supervisor?.kill();
    };
    const forceSignals: Deno.Signal[] = detached ? [] : ["SIGINT"];
    for (const sig of forceSignals) Deno.addSignalListener(sig, force);
    try {
      await supervisor?.stop();
    } finally {
      for (const sig of forceSignals) Deno.removeSignalListener(sig, force);
    }
    await webConsole?.close();
    await broker?.close();
    status.state = "stopped";
    if (supervisor) status.deployments = supervisor.statuses();
    publish();
    await Deno.remove(paths.pidFile).catch(() => {});
    say("stopped");
    for (const f of logFiles.values()) f.close();
    upLog.close();
  }
}

/** `sa up`. */
export const command: CliCommand = {
  name: "up",
  summary: "Run the pipeline locally: embedded broker, topics, every app in its sandbox",
  help: HELP,
  run: up,
};
