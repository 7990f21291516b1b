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
import { basename, join, relative } from "node:path";
import { type CliCommand, type CliEnv, CliError } from "./_command.ts";
import { flag, int, parseCommandArgs, str } from "./_args.ts";
import {
  type Deployment,
  type Pipeline,
  resolveAppEntry,
  type TopicDecl,
} from "../project/pipeline.ts";
import { openProject } from "./_project.ts";
import { checkDeploymentVariables, resolveVariables } from "../project/variables.ts";
import { deploymentLoopProblem } from "../project/topic_loop.ts";
import { Logger, type LogLevel, parseLogLevel } from "../util/log.ts";
import { checkBroker, createTopics, type NewTopic } from "../runner/broker_check.ts";
import {
  appRuntimeEnv,
  deploymentHttpPort,
  sandboxGrant,
  securityFiles,
  toolkitRoot,
} from "../runner/permissions.ts";
import { pickSecurityEnv, securityFrom } from "./_kafka.ts";
import { ConfigError, type DeploymentSpec, Supervisor } from "../runner/supervisor.ts";
import { Prefixer } from "../runner/prefix.ts";
import {
  isAlive,
  readPid,
  readStatus,
  type SaPaths,
  saPaths,
  type UpStatus,
  writeStatusSync,
} from "../runner/project_state.ts";
import { instanceHome } from "../runner/instance_id.ts";
import { InterruptTracker } from "../util/signals.ts";
import { startUpConsole, UP_CONSOLE_PORT } from "./_up_console.ts";
import { errorLine } from "./_errors.ts";
import { composeTool } from "./_docker.ts";
import { DEFAULT_LOG_MAX_BYTES, LogFile } from "../runner/log_file.ts";
import { typeCheck } from "../runner/type_check.ts";
import { startLive } from "./_up_live.ts";

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
compose setup, .env is for \`sa run\`, not for \`sa up\`).

Options:
  -p, --port <n>            Broker port (default 19092; 0 picks a free one); --broker-port
                            is the same
  -b, --broker <host:port>  Use this running broker instead of starting the embedded one
  -d, --detach              Run in the background (see sa status, sa logs, sa down)
      --docker              Run the pipeline with Docker instead: writes compose/ (sa compose)
                            and runs docker-compose up --build (Redpanda, Console, one
                            container per deployment)
      --log-level <level>   Broker log level: DEBUG, INFO, WARN (default), ERROR
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
  };
}

async function openPipeline(cwd: string): Promise<Pipeline> {
  const { pipeline } = await openProject(cwd);
  if (!pipeline) {
    throw new CliError(
      `no sa.yaml (or quix.yaml) in ${cwd}; create one with \`sa init\` and \`sa pipeline update\``,
    );
  }
  return pipeline;
}

/**
 * Topic configs for a local run from a pipeline topic declaration. Time retention is off:
 * the course's recording and the windows computed from it carry event times from 2024, which
 * any `retentionInMinutes` would delete at once; `retentionInBytes` still bounds the disk.
 * (`sa compose` keeps the declared retention, as the cloud does.)
 */
export function topicConfigs(t: TopicDecl): Record<string, string> {
  const c: Record<string, string> = { "cleanup.policy": t.cleanupPolicy };
  if (t.cleanupPolicy === "delete") c["retention.ms"] = "-1";
  if (t.retentionBytes !== undefined) c["retention.bytes"] = String(t.retentionBytes);
  return c;
}

function newTopic(t: TopicDecl): NewTopic {
  return {
    name: t.name,
    partitions: t.partitions,
    replicationFactor: t.replicationFactor,
    configs: topicConfigs(t),
  };
}

/** Deployments `sa up` runs: enabled, desired Running; replicas become `name#2`, ... */
export function runnableDeployments(p: Pipeline): Array<{ name: string; d: Deployment }> {
  const out: Array<{ name: string; d: Deployment }> = [];
  for (const d of p.deployments) {
    if (d.disabled || d.desiredStatus !== "Running") continue;
    const n = Math.max(1, d.replicas);
    for (let i = 1; i <= n; i++) out.push({ name: n > 1 ? `${d.name}#${i}` : d.name, d });
  }
  return out;
}

async function ensureNotRunning(paths: SaPaths): Promise<void> {
  const pid = await readPid(paths);
  if (pid === null) return;
  if (pid !== Deno.pid && isAlive(pid)) {
    throw new CliError(
      `sa up is already running for this project (pid ${pid}); stop it with \`sa down\``,
    );
  }
  await Deno.remove(paths.pidFile).catch(() => {});
}

/**
 * Refuses a deployment whose module does not exist before anything starts, at the line of
 * its `application:` (a restart could not fix it).
 */
function checkModules(pipeline: Pipeline): void {
  const problems: string[] = [];
  for (const { d } of runnableDeployments(pipeline)) {
    const entry = resolveAppEntry(pipeline, d);
    let ok = false;
    try {
      ok = Deno.statSync(entry).isFile;
    } catch { /* missing */ }
    if (!ok && !problems.some((p) => p.includes(`deployment "${d.name}"`))) {
      problems.push(
        `${d.applicationAt ?? basename(pipeline.file)}: deployment "${d.name}": application ` +
          `"${d.application}" not found (${relative(pipeline.dir, entry)} does not exist)`,
      );
    }
  }
  if (problems.length) throw new CliError(problems.join("\n"));
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

/** Starts `sa up` in the background and returns once it is ready (or has failed). */
async function detach(argv: string[], env: CliEnv, paths: SaPaths): Promise<number> {
  const rest = argv.filter((a) => a !== "-d" && a !== "--detach");
  const exe = Deno.execPath();
  const isDeno = /^deno(\.exe)?$/.test(basename(exe));
  const args = isDeno
    ? [
      "run",
      "--allow-all",
      "--unstable-worker-options",
      join(toolkitRoot(), "cli.ts"),
      "up",
      ...rest,
    ]
    : ["up", ...rest];
  await Deno.mkdir(paths.logsDir, { recursive: true });
  await Deno.remove(paths.statusFile).catch(() => {});
  const child = new Deno.Command(exe, {
    args,
    cwd: env.cwd,
    env: { ...env.env, SA_UP_DETACHED: "1", INIT_CWD: env.cwd, NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
  }).spawn();
  child.unref();
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => exited = s);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const status = await readStatus(paths).catch(() => null);
    if (status?.pid === child.pid && status.readyAt) {
      // The background process's own output only reaches up.log: repeat its warnings here.
      for (const w of status.warnings) env.stderr(`sa up: warning: ${w}\n`);
      env.stdout(
        `sa up: running in the background (pid ${child.pid}), ready in ${status.readyMs} ms; ` +
          `broker ${status.broker.address}; ` +
          (status.deployments.length
            ? `deployments: ${status.deployments.map((d) => `${d.name} (${d.state})`).join(", ")}\n`
            : "no deployments\n") +
          `  sa status · sa logs <name> -f · sa down\n`,
      );
      return 0;
    }
    if (exited) {
      const last = await readStatus(paths).catch(() => null);
      if (last?.pid === child.pid && last.error) {
        throw new CliError(`the background sa up failed: ${last.error}`);
      }
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = await Deno.readTextFile(join(paths.logsDir, "up.log")).catch(() => "");
  const tail = log.trim().split("\n").slice(-10).join("\n");
  if (!exited) {
    try {
      Deno.kill(child.pid, "SIGTERM");
    } catch { /* gone */ }
  }
  throw new CliError(
    `the background sa up did not become ready${exited ? ` (exit code ${exited.code})` : ""}` +
      (tail ? `; last lines of .sa/logs/up.log:\n${tail}` : ""),
  );
}

/** `sa up --docker`: generate compose/ with `sa compose`, then `docker-compose up --build`. */
async function upDocker(pipeline: Pipeline, opts: UpOptions, env: CliEnv): Promise<number> {
  const { command: compose } = await import("./compose.ts");
  const code = await compose.run([], { ...env, cwd: pipeline.dir });
  if (code !== 0) return code;
  const tool = await composeTool(env.env.PATH);
  if (!tool) {
    throw new CliError(
      "neither docker-compose nor `docker compose` is installed; run `sa up` without --docker " +
        "(no Docker needed)",
    );
  }
  const file = join(pipeline.dir, "compose", "docker-compose.yml");
  const args = [...tool.args, "-f", file, "up", "--build", ...(opts.detach ? ["-d"] : [])];
  env.stderr(`sa up: ${tool.cmd} ${args.join(" ")}\n`);
  const child = new Deno.Command(tool.cmd, {
    args,
    cwd: pipeline.dir,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const onAbort = () => {
    try {
      child.kill("SIGINT");
    } catch { /* exited */ }
  };
  env.signal.addEventListener("abort", onAbort, { once: true });
  try {
    const st = await child.status;
    if (st.success || env.signal.aborted) return 0;
    throw new CliError(
      `${tool.cmd} exited with code ${st.code}: is the Docker engine running? ` +
        "`sa up` without --docker runs the same pipeline with no Docker at all",
    );
  } finally {
    env.signal.removeEventListener("abort", onAbort);
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

  let broker: { address: string; close(): Promise<void> } | undefined;
  let supervisor: Supervisor | undefined;
  let webConsole: { close(): Promise<void> } | null = null;
  const checking = new AbortController();
  let live: { close(): Promise<void> } | undefined;
  try {
    // An external broker may be secured (SA_SECURITY_PROTOCOL, SA_SASL_*, SA_SSL_* in the
    // environment); the embedded one is plaintext on loopback.
    const securityVars = opts.externalBroker ? pickSecurityEnv(env.env, {}, env.cwd) : {};
    const security = securityFrom(securityVars);
    if (opts.externalBroker) {
      try {
        await checkBroker(opts.externalBroker, 3000, security);
      } catch (err) {
        throw new CliError(`${(err as Error).message}; drop --broker to use the embedded broker`);
      }
      broker = { address: opts.externalBroker, close: () => Promise.resolve() };
    } else {
      const brokerLog = logFile("broker");
      const logger = new Logger("broker", opts.logLevel, (line) => {
        brokerLog.line(line);
        env.stderr(prefix.line("broker", line) + "\n");
      });
      const { startBroker } = await import("../broker/mod.ts");
      try {
        // 0.5 s, not Kafka's 3 s: replicas starting together still join one generation, and the
        // first row still arrives in well under 3 s (docs/broker.md, "Initial rebalance delay").
        broker = await startBroker({
          port: opts.port,
          dataDir: paths.brokerData,
          logger,
          groupInitialRebalanceDelayMs: 500,
        });
      } catch (err) {
        if (err instanceof Deno.errors.AddrInUse) {
          throw new CliError(
            `port ${opts.port} is already in use (another sa up, or a Kafka broker?): stop it, ` +
              `or use --port 0 for a free port, or --broker ${
                opts.port === 19092 ? "localhost:19092" : `localhost:${opts.port}`
              } to use that broker`,
          );
        }
        throw err;
      }
    }
    const address = broker.address;
    status.broker.address = address;
    publish();

    const topics: NewTopic[] = pipeline.topics.map(newTopic);
    const created = await createTopics(address, topics, undefined, security);
    for (const [name, result] of Object.entries(created)) {
      if (result !== "created" && result !== "exists") say(`topic ${name}: ${result}`);
    }

    const specFor = ({ name, d }: { name: string; d: Deployment }): DeploymentSpec => {
      const entry = resolveAppEntry(pipeline, d);
      const stateDir = join(paths.stateDir, d.name);
      Deno.mkdirSync(stateDir, { recursive: true });
      return {
        name,
        entry,
        displayDir: pipeline.dir,
        grant: sandboxGrant({
          entry,
          brokers: [address],
          allowNet: d.allowNet,
          variableNames: d.variables.map((v) => v.name),
          stateDir,
          extraRead: securityFiles(securityVars),
          httpPort: deploymentHttpPort(d.variables),
        }),
        resolve(declared) {
          for (const problem of checkDeploymentVariables(d, declared.variables)) {
            say(`warning: ${problem}`);
            if (!status.warnings.includes(problem)) {
              status.warnings.push(problem);
              publish();
            }
          }
          const r = resolveVariables({
            declared: declared.variables,
            deployment: d,
            dotenv: {},
            processEnv: {},
          });
          if (r.missing.length) {
            throw new ConfigError(
              `required variable${r.missing.length > 1 ? "s" : ""} ${
                r.missing.map((v) => `"${v.name}"`).join(", ")
              } ha${r.missing.length > 1 ? "ve" : "s"} no value: set ${
                r.missing.length > 1 ? "them" : "it"
              } under deployment "${d.name}" variables in ${basename(pipeline.file)}`,
            );
          }
          const loop = deploymentLoopProblem(
            d,
            declared.variables,
            r,
            relative(pipeline.dir, entry),
          );
          if (loop) throw new ConfigError(loop);
          return {
            vars: r.values,
            // The replica's name and home (`normalize#2@host/1a2b3c4d`) is its static member
            // id: a restarted replica takes its partitions back at once.
            env: appRuntimeEnv(
              address,
              stateDir,
              securityVars,
              `${name}@${instanceHome(paths.stateDir)}`,
            ),
          };
        },
      };
    };
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
