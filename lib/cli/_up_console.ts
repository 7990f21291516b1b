/**
 * The web console that `sa up` serves next to the pipeline (`--no-console` turns it off).
 * A busy port never stops `sa up`: the console says so and takes a free port instead.
 *
 * @module
 */
import type { ClientSecurity } from "../stream/kafka/security.ts";

/** Default console port, as Redpanda Console's in the course. */
export const UP_CONSOLE_PORT = 8080;

/**
 * Starts the console for `address` on `port` (a free one when that is taken) and returns how
 * to stop it, or null when it could not start at all (said through `say`; `sa up` goes on).
 */
export async function startUpConsole(
  address: string,
  projectDir: string,
  port: number,
  say: (text: string) => void,
  security?: ClientSecurity,
): Promise<{ url: string; close(): Promise<void> } | null> {
  const { startConsole } = await import("../console/server.ts");
  try {
    let c;
    try {
      c = await startConsole({ address, security, port, projectDir });
    } catch (err) {
      if (!(err instanceof Deno.errors.AddrInUse) || port === 0) throw err;
      c = await startConsole({ address, security, port: 0, projectDir });
      say(`port ${port} is busy; the console takes port ${c.port} instead`);
    }
    say(`console on ${c.url}`);
    return c;
  } catch (err) {
    say(`warning: no console: ${(err as Error).message}`);
    return null;
  }
}
