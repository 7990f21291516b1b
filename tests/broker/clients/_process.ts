/**
 * Runs `sa broker` as a real subprocess (`deno run -A cli.ts broker --port 0 --data-dir <dir>`)
 * for tests that must kill it (durability) and for the benchmark.
 *
 * The address comes from the broker's `listening on HOST:PORT` log line. Its stderr is
 * drained continuously (so a chatty broker never blocks on a full pipe) and kept for
 * assertions and failure messages.
 *
 * @module
 */

const CLI = new URL("../../../cli.ts", import.meta.url).pathname;

/** A broker subprocess. */
export interface BrokerProcess {
  /** "127.0.0.1:PORT" */
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** Everything the broker wrote to stderr/stdout so far. */
  output(): string;
  /** Resolves with the exit status once the process ends. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Sends `signal` (default SIGTERM) and waits for the exit, SIGKILL after `graceMs`. */
  stop(signal?: Deno.Signal, graceMs?: number): Promise<Deno.CommandStatus>;
}

/** Options for {@link spawnBroker}. */
export interface SpawnOptions {
  dataDir: string;
  /** Extra `sa broker` flags, e.g. `["--fsync", "always"]`. */
  args?: string[];
  /** How long to wait for the `listening on` line. */
  startTimeoutMs?: number;
}

/** Starts `sa broker --port 0` and resolves once it logs its listening address. */
export async function spawnBroker(opts: SpawnOptions): Promise<BrokerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--unstable-worker-options",
      CLI,
      "broker",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      opts.dataDir,
      ...(opts.args ?? []),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let onText: (() => void) | undefined;
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      text += dec.decode(chunk, { stream: true });
      onText?.();
    }
  };
  const drained = Promise.all([drain(child.stdout), drain(child.stderr)]);
  const status = child.status.then(async (s) => {
    await drained;
    return s;
  });
  const timeoutMs = opts.startTimeoutMs ?? 20_000;
  const found = await new Promise<RegExpMatchArray | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    const check = () => {
      const m = text.match(/listening on (\S+):(\d+)/);
      if (m) {
        clearTimeout(timer);
        onText = undefined;
        resolve(m);
      }
    };
    onText = check;
    check();
    status.then(() => {
      clearTimeout(timer);
      resolve(text.match(/listening on (\S+):(\d+)/));
    });
  });
  if (!found) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await status;
    throw new Error(
      `sa broker did not log "listening on HOST:PORT" within ${timeoutMs} ms; output:\n${text}`,
    );
  }
  const port = Number(found[2]);
  const host = found[1] === "0.0.0.0" ? "127.0.0.1" : found[1];
  return {
    address: `${host}:${port}`,
    port,
    pid: child.pid,
    dataDir: opts.dataDir,
    output: () => text,
    status,
    async stop(signal: Deno.Signal = "SIGTERM", graceMs = 10_000) {
      try {
        child.kill(signal);
      } catch { /* already exited */ }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          try {
            child.kill("SIGKILL");
          } catch { /* already exited */ }
          resolve();
        }, graceMs);
      });
      await Promise.race([status, killed]);
      clearTimeout(timer);
      return await status;
    },
  };
}
