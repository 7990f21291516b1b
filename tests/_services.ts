/**
 * Helpers for tests that start real services (influxd, mosquitto, the gateway): a free port on
 * 127.0.0.1, and a process started with a temp folder, waited for, and stopped by its pid.
 */

/** A port nothing listens on right now (127.0.0.1). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** True when `path` exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A running service process. */
export interface Service {
  readonly pid: number;
  /** Its stderr so far. */
  stderr(): string;
  /** SIGTERM by pid, wait for the exit, remove its temp folder. */
  close(): Promise<void>;
}

/**
 * Starts `command args` (its temp folder `dir` is removed on close) and polls `ready()` until
 * it holds; on a timeout the process is stopped and the error carries its stderr.
 */
export async function startService(
  command: string,
  args: string[],
  dir: string,
  ready: () => Promise<boolean>,
  timeoutMs = 20_000,
): Promise<Service> {
  const child = new Deno.Command(command, { args, stdout: "null", stderr: "piped" }).spawn();
  let err = "";
  const drained = (async () => {
    for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) err += c;
  })();
  const close = async () => {
    try {
      Deno.kill(child.pid, "SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await drained.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const end = Date.now() + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > end) {
      await close();
      throw new Error(`${command} did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  return { pid: child.pid, stderr: () => err, close };
}

/**
 * Whether service `name` (a Debian package's program at `path`) is installed. When it is not:
 * prints the skip reason and returns false, or throws under `SA_REQUIRE_CLIENTS=1` (CI), as the
 * real Kafka clients do (see `_clients.ts`).
 */
export function requireService(name: string, ...paths: string[]): boolean {
  if (paths.some(exists)) return true;
  const reason = `none of ${paths.join(", ")} exists (Debian package ${name})`;
  if (Deno.env.get("SA_REQUIRE_CLIENTS") === "1") {
    throw new Error(`service ${name} is required (SA_REQUIRE_CLIENTS=1) but missing: ${reason}`);
  }
  console.log(`SKIP: ${name} not available: ${reason}`);
  return false;
}
